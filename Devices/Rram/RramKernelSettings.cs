namespace CimSim.Devices.Rram;

/// <summary>How a signed weight is held in non-negative conductances (docs/devices.md, "Signed encoding").</summary>
public enum SignedEncoding
{
    /// <summary>Two cells per weight slice, G+ holds the positive part and G- the negative part; the columns' currents are subtracted before the ADC (PRIME/NeuroSim style).</summary>
    DifferentialPair,

    /// <summary>One cell per weight slice holding q + 2^(B_w - 1); the offset times the input sum is subtracted digitally (ISAAC's biased encoding).</summary>
    OffsetColumn,
}

/// <summary>Granularity of the symmetric weight quantisation scale.</summary>
public enum WeightQuantization
{
    /// <summary>One scale per output row: s_o = max_i |W[o,i]| / (2^(B_w-1) - 1).</summary>
    PerOutputChannel,

    /// <summary>One scale for the layer: s = max |W| / (2^(B_w-1) - 1).</summary>
    PerTensor,
}

/// <summary>Granularity of the symmetric dynamic input (activation) quantisation scale.</summary>
public enum InputQuantization
{
    /// <summary>One scale per token row (dynamic, computed from the row's max |x|).</summary>
    PerToken,

    /// <summary>One scale for the whole input batch.</summary>
    PerTensor,
}

/// <summary>Shape of the programming-noise standard deviation sigma(G) (docs/devices.md, "Programming noise").</summary>
public enum ProgrammingNoiseKind
{
    None,

    /// <summary>sigma = Sigma (siemens), the same for every state.</summary>
    Absolute,

    /// <summary>sigma = Sigma x G_max.</summary>
    RelativeToGmax,

    /// <summary>sigma = Sigma x G_target.</summary>
    RelativeToG,

    /// <summary>sigma = (sum_k c_k x^k) uS x G_max / G_ref, x = G_target / G_max (aihwkit ReRamWan2022 style fits).</summary>
    Polynomial,
}

/// <summary>Group over which the paper's abstract weight noise takes max|W| (HaLoRA, arXiv 2502.19747).</summary>
public enum WeightNoiseScope
{
    None,

    /// <summary>sigma_w = Sigma x max|W| over the tile (TileRows x TileColumns of the [out,in] matrix).</summary>
    Tile,

    /// <summary>sigma_w = Sigma x max|W| over the whole layer.</summary>
    Layer,

    /// <summary>sigma_w = Sigma x |W| of the weight itself (multiplicative).</summary>
    Weight,
}

/// <summary>Programming noise: G_programmed = G_target + sigma(G_target) z, z ~ N(0,1), clipped at 0 S.</summary>
public sealed record ProgrammingNoiseSettings
{
    public ProgrammingNoiseKind Kind { get; init; } = ProgrammingNoiseKind.None;

    /// <summary>Siemens for Absolute; a fraction for RelativeToGmax / RelativeToG; unused for Polynomial.</summary>
    public double Sigma { get; init; }

    /// <summary>Polynomial coefficients c0..cn of sigma in microsiemens versus the normalised state x = G / G_max.</summary>
    public IReadOnlyList<double> PolynomialMicrosiemens { get; init; } = [];

    /// <summary>The G_max of the fit (aihwkit ReRamWan2022: 40 uS). The fitted sigma is scaled by G_max / G_ref so a different conductance window keeps the same relative noise.</summary>
    public double ReferenceGmaxSiemens { get; init; } = 40e-6;

    public bool IsOn => Kind switch
    {
        ProgrammingNoiseKind.None => false,
        ProgrammingNoiseKind.Polynomial => PolynomialMicrosiemens.Any(c => c != 0),
        _ => Sigma > 0,
    };
}

/// <summary>Conductance drift G(t) = G0 (t / t0)^(-nu), nu ~ N(NuMean, NuStd) per cell, clamped at 0 (aihwkit PCM drift form).</summary>
public sealed record DriftSettings
{
    public double NuMean { get; init; }
    public double NuStd { get; init; }
    public double T0Seconds { get; init; } = 20;

    /// <summary>Time since programming at which the layer is read. No drift when t &lt;= t0.</summary>
    public double ReadTimeSeconds { get; init; }

    public bool IsOn => (NuMean > 0 || NuStd > 0) && ReadTimeSeconds > T0Seconds && T0Seconds > 0;
}

/// <summary>The paper's abstract model: Gaussian added to each weight, sigma_w = Sigma x max|W| over a group.</summary>
public sealed record WeightNoiseSettings
{
    public WeightNoiseScope Scope { get; init; } = WeightNoiseScope.None;
    public double Sigma { get; init; }
    public int TileRows { get; init; } = 64;
    public int TileColumns { get; init; } = 64;
    public bool IsOn => Scope != WeightNoiseScope.None && Sigma > 0;
}

/// <summary>
/// The numbers the RRAM functional kernel needs, resolved from the hardware spec (or built directly in tests).
/// Every derived quantity (slices, DAC steps, ADC step) is computed here once, so the kernel and the cost
/// models agree. Conductances in siemens, times in seconds, resistances in ohms.
/// </summary>
public sealed record RramKernelSettings
{
    public int ArrayRows { get; init; } = 64;
    public int ArrayColumns { get; init; } = 64;
    public int WeightBits { get; init; } = 8;
    public int BitsPerCell { get; init; } = 8;
    public SignedEncoding Encoding { get; init; } = SignedEncoding.DifferentialPair;
    public WeightQuantization WeightQuantization { get; init; } = WeightQuantization.PerOutputChannel;
    public InputQuantization InputQuantization { get; init; } = InputQuantization.PerToken;
    public int InputBits { get; init; } = 8;

    /// <summary>DAC resolution per step; 1 = bit-serial. The input is applied in ceil(InputBits / DacBits) steps.</summary>
    public int DacBits { get; init; } = 8;

    /// <summary>ADC resolution; 0 or &gt;= 31 means an ideal ADC (no quantisation, no clipping).</summary>
    public int AdcBits { get; init; } = 8;

    /// <summary>ADC full scale as a fraction of the largest possible partial sum of an array (1 = never clips).</summary>
    public double AdcRangeFraction { get; init; } = 1.0;

    public double GMinSiemens { get; init; } = 1e-6;
    public double GMaxSiemens { get; init; } = 40e-6;
    public ProgrammingNoiseSettings ProgrammingNoise { get; init; } = new();

    /// <summary>Read noise per read and cell, sigma = ReadNoiseRelativeToGmax x G_max, fresh at every read.</summary>
    public double ReadNoiseRelativeToGmax { get; init; }

    public double StuckAtGminRate { get; init; }
    public double StuckAtGmaxRate { get; init; }
    public DriftSettings Drift { get; init; } = new();

    /// <summary>Wire resistance of one cell-to-cell segment (ohms) for the first-order IR-drop model; 0 = off.</summary>
    public double WireResistanceOhms { get; init; }

    public WeightNoiseSettings WeightNoise { get; init; } = new();

    // ---- derived ----

    /// <summary>Largest integer weight magnitude: 2^(B_w-1) - 1 (symmetric, -2^(B_w-1) unused).</summary>
    public int WeightQMax => (1 << (WeightBits - 1)) - 1;

    public int InputQMax => (1 << (InputBits - 1)) - 1;

    /// <summary>Bits held across the slices: B_w - 1 magnitude bits (differential) or B_w offset bits (offset column).</summary>
    public int StoredBits => Encoding == SignedEncoding.DifferentialPair ? WeightBits - 1 : WeightBits;

    public int SlicesPerWeight => (StoredBits + BitsPerCell - 1) / BitsPerCell;

    public int DigitMax => (1 << BitsPerCell) - 1;

    public int CellsPerSlice => Encoding == SignedEncoding.DifferentialPair ? 2 : 1;

    public int DacSteps => (InputBits + DacBits - 1) / DacBits;

    /// <summary>Offset subtracted in the offset-column encoding: 2^(B_w-1); 0 for the differential pair.</summary>
    public int WeightOffset => Encoding == SignedEncoding.OffsetColumn ? 1 << (WeightBits - 1) : 0;

    /// <summary>Conductance of one digit step: (G_max - G_min) / (2^b - 1).</summary>
    public double ConductanceStepSiemens => (GMaxSiemens - GMinSiemens) / DigitMax;

    public bool IdealAdc => AdcBits <= 0 || AdcBits >= 31;

    public bool AnyCellNoise => ProgrammingNoise.IsOn || StuckAtGminRate > 0 || StuckAtGmaxRate > 0 || Drift.IsOn || WireResistanceOhms > 0;

    public bool AnyAnalogNoise => AnyCellNoise || WeightNoise.IsOn || ReadNoiseRelativeToGmax > 0;

    /// <summary>Width in bits of DAC step k (the top step takes the remainder).</summary>
    public int StepBits(int k) => k < DacSteps - 1 ? DacBits : InputBits - DacBits * (DacSteps - 1);

    /// <summary>Inclusive integer range of the value applied at DAC step k: unsigned chunks, the top chunk signed (two's complement).</summary>
    public (int Min, int Max) StepRange(int k)
    {
        int bits = StepBits(k);
        return k < DacSteps - 1 ? (0, (1 << bits) - 1) : (-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
    }

    /// <summary>Inclusive range of one slice's signed digit (differential: -(2^b-1)..2^b-1; offset: 0..2^b-1).</summary>
    public (int Min, int Max) DigitRange => Encoding == SignedEncoding.DifferentialPair ? (-DigitMax, DigitMax) : (0, DigitMax);

    /// <summary>Lists every inconsistent value at once (the YAML validator reports config mistakes; this guards programmatic use).</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (ArrayRows < 1) p.Add($"ArrayRows = {ArrayRows}, expected >= 1");
        if (ArrayColumns < 1) p.Add($"ArrayColumns = {ArrayColumns}, expected >= 1");
        if (WeightBits is < 2 or > 16) p.Add($"WeightBits = {WeightBits}, expected 2..16");
        if (InputBits is < 2 or > 16) p.Add($"InputBits = {InputBits}, expected 2..16");
        if (BitsPerCell is < 1 or > 16) p.Add($"BitsPerCell = {BitsPerCell}, expected 1..16");
        if (DacBits < 1 || DacBits > InputBits) p.Add($"DacBits = {DacBits}, expected 1..InputBits ({InputBits})");
        if (AdcBits is < 0 or > 64) p.Add($"AdcBits = {AdcBits}, expected 0 (ideal) or 1..64");
        if (!(AdcRangeFraction > 0 && AdcRangeFraction <= 1)) p.Add($"AdcRangeFraction = {AdcRangeFraction}, expected in (0, 1]");
        if (!(GMinSiemens >= 0 && GMaxSiemens > GMinSiemens)) p.Add($"G_min = {GMinSiemens} S, G_max = {GMaxSiemens} S, expected 0 <= G_min < G_max");
        if (StuckAtGminRate < 0 || StuckAtGmaxRate < 0 || StuckAtGminRate + StuckAtGmaxRate > 1) p.Add($"stuck-at rates {StuckAtGminRate}, {StuckAtGmaxRate}, expected >= 0 with sum <= 1");
        if (ReadNoiseRelativeToGmax < 0) p.Add($"ReadNoiseRelativeToGmax = {ReadNoiseRelativeToGmax}, expected >= 0");
        if (ProgrammingNoise.Sigma < 0) p.Add($"ProgrammingNoise.Sigma = {ProgrammingNoise.Sigma}, expected >= 0");
        if (WeightNoise.Sigma < 0) p.Add($"WeightNoise.Sigma = {WeightNoise.Sigma}, expected >= 0");
        if (WeightNoise.TileRows < 1 || WeightNoise.TileColumns < 1) p.Add("WeightNoise tile must be at least 1 x 1");
        if (WireResistanceOhms < 0) p.Add($"WireResistanceOhms = {WireResistanceOhms}, expected >= 0");
        return p;
    }
}
