using CimSim.Common.Noise;

namespace CimSim.Devices.Config;

/// <summary>The analog RRAM crossbar subsystem: arrays, cells, periphery, non-idealities.</summary>
public sealed record RramSpec
{
    /// <summary>Crossbar geometry and weight encoding.</summary>
    [ConfigKey("array")]
    public RramArraySpec Array { get; init; } = new();

    /// <summary>The RRAM cell (1T1R) electrical and physical parameters.</summary>
    [ConfigKey("device")]
    public RramDeviceSpec Device { get; init; } = new();

    /// <summary>Row drivers (input DACs).</summary>
    [ConfigKey("dac")]
    public DacSpec Dac { get; init; } = new();

    /// <summary>Column ADCs.</summary>
    [ConfigKey("adc")]
    public AdcSpec Adc { get; init; } = new();

    /// <summary>Shift-and-add units combining bit-serial steps and weight slices.</summary>
    [ConfigKey("shift_add")]
    public ShiftAddSpec ShiftAdd { get; init; } = new();

    /// <summary>Device and circuit non-idealities (all off means exact integer arithmetic with an ideal ADC).</summary>
    [ConfigKey("noise")]
    public RramNoiseSpec Noise { get; init; } = new();

    /// <summary>Iterative program-and-verify of W0 (docs/lifecycle.md, "Programming W0").</summary>
    [ConfigKey("program_verify")]
    public ProgramVerifySpec ProgramVerify { get; init; } = new();

    /// <summary>Crossbar arrays per tile (each with its own DACs, ADCs and shift-add).</summary>
    [ConfigKey("arrays_per_tile", Min = 1, Max = 1 << 20)]
    public int ArraysPerTile { get; init; } = 64;
}

/// <summary>Crossbar geometry and how weights are spread over cells.</summary>
public sealed record RramArraySpec
{

    /// <summary>Word lines (inputs) per array.</summary>
    [ConfigKey("rows", Min = 1, Max = 4096)]
    public int Rows { get; init; } = 64;

    /// <summary>Bit lines (physical columns) per array, reference/differential columns included.</summary>
    [ConfigKey("cols", Min = 1, Max = 4096)]
    public int Cols { get; init; } = 64;

    /// <summary>Bits stored per cell (2^bits conductance levels).</summary>
    [ConfigKey("bits_per_cell", Unit = "bit", Min = 1, Max = 8)]
    public int BitsPerCell { get; init; } = 8;

    /// <summary>Weight precision (signed, two's complement range); split into weight_bits / bits_per_cell slices.</summary>
    [ConfigKey("weight_bits", Unit = "bit", Min = 1, Max = 16)]
    public int WeightBits { get; init; } = 8;

    /// <summary>How signed weights map to conductances.</summary>
    [ConfigKey("encoding")]
    public WeightEncoding Encoding { get; init; } = WeightEncoding.Offset;

    /// <summary>Offset encoding: where the bias of the stored w + 2^(weight_bits-1) is removed, in the array before the
    /// ADC (a reference column at the offset level) or digitally after it (docs/devices.md, section 2).</summary>
    [ConfigKey("offset_subtraction")]
    public OffsetSubtraction OffsetSubtraction { get; init; } = OffsetSubtraction.Analog;

    /// <summary>Copies of each weight block on separate arrays (throughput for the same weights).</summary>
    [ConfigKey("replication", Min = 1, Max = 1024)]
    public int Replication { get; init; } = 1;

    /// <summary>Symmetric weight quantisation scale granularity (docs/devices.md, "Quantisation").</summary>
    [ConfigKey("weight_quantization")]
    public WeightQuantizationGranularity WeightQuantization { get; init; } = WeightQuantizationGranularity.PerChannel;

    /// <summary>Read-energy model selected by name through a registry (docs/devices.md, section 4).</summary>
    [ConfigKey("impl")]
    public ArrayReadModelKind Impl { get; init; } = ArrayReadModelKind.CellCurrent;

    /// <summary>Parameters of the crossbar-power model.</summary>
    [ConfigKey("crossbar_power")]
    public CrossbarPowerSpec CrossbarPower { get; init; } = new();

    /// <summary>Bits held across a weight's slices: the weight_bits - 1 magnitude bits (differential: the sign picks
    /// G+ or G-) or all weight_bits of w + 2^(weight_bits-1) (offset).</summary>
    public int StoredBits => Encoding == WeightEncoding.Differential ? Math.Max(1, WeightBits - 1) : WeightBits;

    /// <summary>Number of cells (bit slices) holding one weight: ceil(stored bits / bits_per_cell).</summary>
    public int WeightSlices => (StoredBits + BitsPerCell - 1) / BitsPerCell;

    /// <summary>Physical cells per weight: slices, times two for a differential pair.</summary>
    public int CellsPerWeight => WeightSlices * (Encoding == WeightEncoding.Differential ? 2 : 1);

    /// <summary>Columns per array reserved for the signed encoding: 1 reference column for offset encoding (NeuroSim's
    /// dummy column, read and converted with every step so its current can be subtracted), 0 for differential pairs.</summary>
    public int ReferenceColumns => Encoding == WeightEncoding.Offset ? 1 : 0;

    /// <summary>Cells per array.</summary>
    public long Cells => (long)Rows * Cols;
}

/// <summary>
/// The RRAM cell. YAML gives either g_min_us/g_max_us or r_on_ohm/r_off_ohm (converted: G = 1/R); the record
/// always holds conductances.
/// </summary>
public sealed record RramDeviceSpec
{
    /// <summary>Lowest programmable conductance (high-resistance state), microsiemens.</summary>
    [ConfigKey("g_min_us", Unit = "uS", Min = 0)]
    public double GMinMicrosiemens { get; init; } = 0.5882352941176471;

    /// <summary>Highest programmable conductance (low-resistance state), microsiemens.</summary>
    [ConfigKey("g_max_us", Unit = "uS", Min = 0, MinExclusive = true)]
    public double GMaxMicrosiemens { get; init; } = 10.0;

    /// <summary>Read voltage applied to an active word line, volts.</summary>
    [ConfigKey("read_voltage_v", Unit = "V", Min = 0, MinExclusive = true, Max = 5)]
    public double ReadVoltageVolts { get; init; } = 0.5;

    /// <summary>Duration of one read pulse (one DAC step), seconds.</summary>
    [ConfigKey("read_pulse_s", Unit = "s", Min = 0, MinExclusive = true, Max = 1)]
    public double ReadPulseSeconds { get; init; } = 10e-9;

    /// <summary>Area of one 1T1R cell, square micrometres.</summary>
    [ConfigKey("cell_area_um2", Unit = "um^2", Min = 0, MinExclusive = true)]
    public double CellAreaSquareMicrometres { get; init; } = 0.0768;

    /// <summary>Energy to program one cell to its target (write-verify included), picojoules. W0 is written once.</summary>
    [ConfigKey("write_energy_pj", Unit = "pJ", Min = 0)]
    public double WriteEnergyPicojoulesPerCell { get; init; } = 4.0;

    /// <summary>Time to program one row of cells (write-verify included), seconds.</summary>
    [ConfigKey("write_latency_s", Unit = "s", Min = 0)]
    public double WriteLatencySecondsPerRow { get; init; } = 1e-6;

    /// <summary>On resistance (1 / G_max), ohms.</summary>
    public double ROnOhm => 1e6 / GMaxMicrosiemens;

    /// <summary>Off resistance (1 / G_min), ohms; infinity when G_min is 0.</summary>
    public double ROffOhm => GMinMicrosiemens > 0 ? 1e6 / GMinMicrosiemens : double.PositiveInfinity;

    /// <summary>G_max / G_min.</summary>
    public double OnOffRatio => GMinMicrosiemens > 0 ? GMaxMicrosiemens / GMinMicrosiemens : double.PositiveInfinity;
}

/// <summary>
/// Crossbar read energy from a published power of one crossbar at its read step (ISAAC ISCA 2016 Table 1: 2.4 mW per
/// 8 crossbars of 128x128 at 100 ns; PUMA: 0.3 mW per 128x128 crossbar, REFERENCES 4): energy per cell per step =
/// power x step / (rows x cols), whatever the conductances.
/// </summary>
public sealed record CrossbarPowerSpec
{
    /// <summary>Power of one crossbar while it is read, watts.</summary>
    [ConfigKey("power_w", Unit = "W", Min = 0)]
    public double PowerWatts { get; init; } = 3e-4;

    /// <summary>The read step that power lasts for, seconds.</summary>
    [ConfigKey("step_s", Unit = "s", Min = 0, MinExclusive = true, Max = 1)]
    public double StepSeconds { get; init; } = 1e-7;

    /// <summary>Cells of the crossbar the power was given for (rows x cols).</summary>
    [ConfigKey("cells", Min = 1, Max = 1 << 24)]
    public int Cells { get; init; } = 128 * 128;
}

/// <summary>Parameters of the resolution-scaled DAC: energy_pj and area_um2 describe a DAC of reference_bits.</summary>
public sealed record ResolutionScaledDacSpec
{
    /// <summary>Resolution at which energy_pj and area_um2 were given.</summary>
    [ConfigKey("reference_bits", Unit = "bit", Min = 1, Max = 16)]
    public int ReferenceBits { get; init; } = 1;
}

/// <summary>Input drivers: one DAC per row.</summary>
public sealed record DacSpec
{
    /// <summary>Cost model selected by name through a registry (docs/devices.md, section 3).</summary>
    [ConfigKey("impl")]
    public DacModelKind Impl { get; init; } = DacModelKind.Fixed;

    /// <summary>Parameters of the resolution-scaled model.</summary>
    [ConfigKey("resolution_scaled")]
    public ResolutionScaledDacSpec ResolutionScaled { get; init; } = new();

    /// <summary>Resolution of one drive (1 = on/off word-line pulse).</summary>
    [ConfigKey("bits", Unit = "bit", Min = 1, Max = 16)]
    public int Bits { get; init; } = 1;

    /// <summary>When true the input is applied over ceil(input_bits / bits) steps; when false, bits must equal input_bits.</summary>
    [ConfigKey("bit_serial")]
    public bool BitSerial { get; init; } = true;

    /// <summary>Activation precision fed to the crossbar.</summary>
    [ConfigKey("input_bits", Unit = "bit", Min = 1, Max = 16)]
    public int InputBits { get; init; } = 8;

    /// <summary>Signed (two's complement) inputs: the most significant step carries negative weight.</summary>
    [ConfigKey("signed_inputs")]
    public bool SignedInputs { get; init; } = true;

    /// <summary>Energy of one drive of one row for one step, picojoules.</summary>
    [ConfigKey("energy_pj", Unit = "pJ", Min = 0)]
    public double EnergyPicojoulesPerDrive { get; init; } = 0.039;

    /// <summary>Settling time of one drive before the read pulse, seconds (0 when included in read_pulse_s).</summary>
    [ConfigKey("latency_s", Unit = "s", Min = 0)]
    public double LatencySeconds { get; init; }

    /// <summary>Area of one row driver/DAC, square micrometres.</summary>
    [ConfigKey("area_um2", Unit = "um^2", Min = 0)]
    public double AreaSquareMicrometres { get; init; } = 0.166;

    /// <summary>Symmetric dynamic input quantisation scale granularity (docs/devices.md, "Quantisation").</summary>
    [ConfigKey("input_quantization")]
    public InputQuantizationGranularity InputQuantization { get; init; } = InputQuantizationGranularity.PerToken;

    /// <summary>
    /// Input-parallel sensing: DAC steps (input bit-planes) applied and sensed at the same time, each on its own copy
    /// of the array's cells and sense chain (DACs, S&amp;H, ADCs, shift-add), as time-space readout macros do
    /// (Hung et al., JSSC 2023; docs/devices.md, section 3). Energy per action is unchanged; an input vector takes
    /// ceil(steps / parallel_steps) steps one after another; an array's area and leakage grow parallel_steps times.
    /// </summary>
    [ConfigKey("parallel_steps", Min = 1, Max = 16)]
    public int ParallelSteps { get; init; } = 1;

    /// <summary>DAC steps per input vector.</summary>
    public int Steps => BitSerial ? (InputBits + Bits - 1) / Bits : 1;

    /// <summary>DAC steps taken one after another: ceil(steps / parallel_steps).</summary>
    public int SequentialSteps => (Steps + ParallelSteps - 1) / ParallelSteps;
}

/// <summary>Column ADCs, their sharing, range, and cost model.</summary>
public sealed record AdcSpec
{
    /// <summary>Energy/latency model selected by name.</summary>
    [ConfigKey("impl")]
    public AdcModelKind Impl { get; init; } = AdcModelKind.Survey;

    /// <summary>Resolution (output levels 2^bits).</summary>
    [ConfigKey("bits", Unit = "bit", Min = 1, Max = 16)]
    public int Bits { get; init; } = 8;

    /// <summary>Columns multiplexed onto one ADC (converted one after another).</summary>
    [ConfigKey("cols_per_adc", Min = 1, Max = 4096, PowerOfTwo = true)]
    public int ColsPerAdc { get; init; } = 8;

    /// <summary>Functional bypass: when true the conversion is exact (no quantisation, no clipping); cost is still priced by impl.</summary>
    [ConfigKey("ideal")]
    public bool Ideal { get; init; } = true;

    /// <summary>Input range and clipping.</summary>
    [ConfigKey("range")]
    public AdcRangeSpec Range { get; init; } = new();

    /// <summary>Parameters of the sar-neurosim model.</summary>
    [ConfigKey("sar_neurosim")]
    public SarNeurosimAdcSpec SarNeurosim { get; init; } = new();

    /// <summary>Parameters of the walden model.</summary>
    [ConfigKey("walden")]
    public WaldenAdcSpec Walden { get; init; } = new();

    /// <summary>Parameters of the survey model.</summary>
    [ConfigKey("survey")]
    public SurveyAdcSpec Survey { get; init; } = new();

    /// <summary>Parameters of the table model.</summary>
    [ConfigKey("table")]
    public TableAdcSpec Table { get; init; } = new();

    /// <summary>The sample-and-hold in front of each ADC.</summary>
    [ConfigKey("sample_hold")]
    public SampleHoldSpec SampleHold { get; init; } = new();

    /// <summary>Area of one ADC, square micrometres.</summary>
    [ConfigKey("area_um2", Unit = "um^2", Min = 0)]
    public double AreaSquareMicrometres { get; init; } = 567.0;

    /// <summary>Static (leakage) power of one ADC, watts.</summary>
    [ConfigKey("leakage_power_w", Unit = "W", Min = 0)]
    public double LeakagePowerWatts { get; init; }
}

/// <summary>ADC full-scale range and clipping.</summary>
public sealed record AdcRangeSpec
{
    /// <summary>How full scale is chosen.</summary>
    [ConfigKey("full_scale")]
    public AdcFullScaleMode FullScale { get; init; } = AdcFullScaleMode.Max;

    /// <summary>For full_scale: fraction, full scale as a fraction of the largest possible partial sum.</summary>
    [ConfigKey("clip_fraction", Min = 0, MinExclusive = true, Max = 1)]
    public double ClipFraction { get; init; } = 1.0;

    /// <summary>For full_scale: calibrated, the percentile P (50..100]: the range is [(100 - P)-th, P-th percentile] of calibration partial sums.</summary>
    [ConfigKey("calibration_percentile", Unit = "%", Min = 50, MinExclusive = true, Max = 100)]
    public double CalibrationPercentile { get; init; } = 99.99;

    /// <summary>For full_scale: calibrated, how the range is chosen: percentile (calibration_percentile) or mse (least squared conversion error).</summary>
    [ConfigKey("calibration")]
    public AdcCalibrationMethod Calibration { get; init; } = AdcCalibrationMethod.Percentile;
}

/// <summary>
/// NeuroSim V1.4 SAR ADC fit (REFERENCES.md 3): power = (a log2 L + b) uW + c exp(-d log10 R_col) uW, conversion
/// time = (log2 L + 1) bit cycles, L = 2^bits levels, R_col the column resistance in ohms.
/// </summary>
public sealed record SarNeurosimAdcSpec
{
    /// <summary>Slope a of the fit's power in log2 L, microwatts per bit.</summary>
    [ConfigKey("a_uw", Unit = "uW")]
    public double AMicrowatts { get; init; } = 0.538;

    /// <summary>Offset b of the fit's power, microwatts.</summary>
    [ConfigKey("b_uw", Unit = "uW")]
    public double BMicrowatts { get; init; } = 4.3753;

    /// <summary>Coefficient c of the column-resistance term, microwatts.</summary>
    [ConfigKey("c_uw", Unit = "uW")]
    public double CMicrowatts { get; init; } = 0.072341;

    /// <summary>Exponent d of the column-resistance term exp(-d log10 R_col).</summary>
    [ConfigKey("d")]
    public double D { get; init; } = 2.303;

    /// <summary>Duration of one SAR bit cycle, seconds.</summary>
    [ConfigKey("bit_cycle_s", Unit = "s", Min = 0, MinExclusive = true)]
    public double BitCycleSeconds { get; init; } = 1e-9;
}

/// <summary>Walden figure-of-merit ADC: E = FoM x 2^ENOB per conversion, ENOB = bits - enob_loss_bits.</summary>
public sealed record WaldenAdcSpec
{
    /// <summary>Figure of merit, femtojoules per conversion step.</summary>
    [ConfigKey("fom_fj_per_step", Unit = "fJ", Min = 0, MinExclusive = true)]
    public double FomFemtojoulesPerStep { get; init; } = 2.2;

    /// <summary>Bits lost to noise and distortion (ENOB = bits - this).</summary>
    [ConfigKey("enob_loss_bits", Unit = "bit", Min = 0, Max = 8)]
    public double EnobLossBits { get; init; }

    /// <summary>Conversion rate; latency per conversion = 1 / rate.</summary>
    [ConfigKey("sample_rate_hz", Unit = "Hz", Min = 0, MinExclusive = true)]
    public double SampleRateHz { get; init; } = 1.2e9;
}

/// <summary>
/// One ADC design point from the survey frontier (docs/devices.md, "ADC cost models"): energy, conversion time and
/// area of the same ADC. ENOB = bits - enob_loss_bits; SNDR = 6.02 ENOB + 1.76 dB.
/// </summary>
public sealed record SurveyAdcSpec
{
    /// <summary>Walden figure of merit of the frontier, femtojoules per conversion step (low-resolution limit).</summary>
    [ConfigKey("fom_walden_fj_per_step", Unit = "fJ", Min = 0, MinExclusive = true)]
    public double FomWaldenFemtojoulesPerStep { get; init; } = 2.2;

    /// <summary>Schreier figure of merit of the frontier, dB (thermal-noise limit at high resolution).</summary>
    [ConfigKey("fom_schreier_db", Unit = "dB", Min = 100, Max = 200)]
    public double FomSchreierDecibels { get; init; } = 175.0;

    /// <summary>Conversion rate of one ADC; time per conversion = 1 / rate.</summary>
    [ConfigKey("sample_rate_hz", Unit = "Hz", Min = 0, MinExclusive = true, Max = 1e12)]
    public double SampleRateHz { get; init; } = 1.2e9;

    /// <summary>Rate above which energy per conversion grows in proportion to the rate (the frontier's speed corner).</summary>
    [ConfigKey("corner_rate_hz", Unit = "Hz", Min = 0, MinExclusive = true, Max = 1e12)]
    public double CornerRateHz { get; init; } = 1.2e9;

    /// <summary>Bits lost to noise and distortion (ENOB = bits - this).</summary>
    [ConfigKey("enob_loss_bits", Unit = "bit", Min = 0, Max = 16)]
    public double EnobLossBits { get; init; }

    /// <summary>Area of one ADC at reference_bits, square micrometres.</summary>
    [ConfigKey("reference_area_um2", Unit = "um^2", Min = 0, MinExclusive = true)]
    public double ReferenceAreaSquareMicrometres { get; init; } = 567.0;

    /// <summary>ENOB of the reference area point.</summary>
    [ConfigKey("reference_bits", Unit = "bit", Min = 1, Max = 20)]
    public double ReferenceBits { get; init; } = 8;
}

/// <summary>Tabulated ADC energy against resolution; other resolutions interpolate log-linearly (extrapolate at the ends).</summary>
public sealed record TableAdcSpec
{
    /// <summary>Resolutions of the table points, ascending.</summary>
    [ConfigKey("bits", Unit = "bit")]
    public EquatableArray<int> Bits { get; init; } = EquatableArray.Of(4, 6, 8, 10);

    /// <summary>Energy per conversion at each resolution, picojoules.</summary>
    [ConfigKey("energy_pj", Unit = "pJ")]
    public EquatableArray<double> EnergyPicojoules { get; init; } = EquatableArray.Of(0.79, 1.20, 1.67, 2.38);

    /// <summary>Latency per conversion, seconds.</summary>
    [ConfigKey("latency_s", Unit = "s", Min = 0, MinExclusive = true)]
    public double LatencySeconds { get; init; } = 8.333333333333334e-10;
}

/// <summary>Sample-and-hold per ADC input.</summary>
public sealed record SampleHoldSpec
{
    /// <summary>Energy per sample, picojoules.</summary>
    [ConfigKey("energy_pj", Unit = "pJ", Min = 0)]
    public double EnergyPicojoules { get; init; } = 0.001;

    /// <summary>Acquisition time, seconds (0 when hidden behind the read pulse).</summary>
    [ConfigKey("latency_s", Unit = "s", Min = 0)]
    public double LatencySeconds { get; init; }

    /// <summary>Area per column's sample-and-hold, square micrometres.</summary>
    [ConfigKey("area_um2", Unit = "um^2", Min = 0)]
    public double AreaSquareMicrometres { get; init; } = 0.04;
}

/// <summary>Shift-and-add: one operation accumulates one ADC output into a column result.</summary>
public sealed record ShiftAddSpec
{
    /// <summary>Energy per shift-and-add operation, picojoules.</summary>
    [ConfigKey("energy_pj", Unit = "pJ", Min = 0)]
    public double EnergyPicojoules { get; init; } = 0.021;

    /// <summary>Latency per operation, seconds.</summary>
    [ConfigKey("latency_s", Unit = "s", Min = 0)]
    public double LatencySeconds { get; init; } = 8.333333333333334e-10;

    /// <summary>Area of one shift-add unit (one per ADC), square micrometres.</summary>
    [ConfigKey("area_um2", Unit = "um^2", Min = 0)]
    public double AreaSquareMicrometres { get; init; } = 60;
}

/// <summary>RRAM non-idealities. Each is off when its rate/sigma is 0, its impl is none, or enabled is false.</summary>
public sealed record RramNoiseSpec
{
    /// <summary>Programming (write) noise, drawn once per programmed cell.</summary>
    [ConfigKey("programming")]
    public ProgrammingNoiseSpec Programming { get; init; } = new();

    /// <summary>Read noise, drawn on every read.</summary>
    [ConfigKey("read")]
    public ReadNoiseSpec Read { get; init; } = new();

    /// <summary>Stuck-at-G_min / stuck-at-G_max cell faults.</summary>
    [ConfigKey("stuck_at")]
    public StuckAtSpec StuckAt { get; init; } = new();

    /// <summary>Power-law conductance drift.</summary>
    [ConfigKey("drift")]
    public DriftSpec Drift { get; init; } = new();

    /// <summary>First-order IR drop on word and bit lines.</summary>
    [ConfigKey("ir_drop")]
    public IrDropSpec IrDrop { get; init; } = new();

    /// <summary>The paper's abstract model: Gaussian noise added to W0 directly, sigma relative to max|W|.</summary>
    [ConfigKey("weight_noise")]
    public WeightNoiseSpec WeightNoise { get; init; } = new();

    /// <summary>True when every non-ideality is off.</summary>
    public bool AllOff => Programming.Impl == ProgrammingNoiseModel.None && Read.Sigma == 0 && StuckAt.RateGmin == 0
        && StuckAt.RateGmax == 0 && !Drift.Enabled && !IrDrop.Enabled && WeightNoise.Sigma == 0;
}

/// <summary>Programming (write) noise: drawn once when W0 is programmed.</summary>
public sealed record ProgrammingNoiseSpec
{
    /// <summary>Programming-noise model selected by name (none = off).</summary>
    [ConfigKey("impl")]
    public ProgrammingNoiseModel Impl { get; init; } = ProgrammingNoiseModel.None;

    /// <summary>Relative sigma for gaussian-relative-gmax (x G_max) and gaussian-relative-g (x G).</summary>
    [ConfigKey("sigma", Min = 0, Max = 10)]
    public double Sigma { get; init; }

    /// <summary>Absolute sigma for gaussian-absolute, microsiemens.</summary>
    [ConfigKey("sigma_us", Unit = "uS", Min = 0)]
    public double SigmaMicrosiemens { get; init; }

    /// <summary>Polynomial coefficients c0..cn of sigma(uS) = sum c_k x^k, x = G / gmax_us.</summary>
    [ConfigKey("coefficients_us", Unit = "uS")]
    public EquatableArray<double> CoefficientsMicrosiemens { get; init; } = EquatableArray.Of(0.348, 16.030, -43.853, 45.393, -16.815);

    /// <summary>G_max of the fit, microsiemens (the polynomial's x normalisation).</summary>
    [ConfigKey("gmax_us", Unit = "uS", Min = 0, MinExclusive = true)]
    public double FitGMaxMicrosiemens { get; init; } = 40;

    /// <summary>Clip programmed conductances to [G_min, G_max].</summary>
    [ConfigKey("clip")]
    public bool Clip { get; init; } = true;
}

/// <summary>Read noise: drawn afresh on every read.</summary>
public sealed record ReadNoiseSpec
{
    /// <summary>Relative sigma per read (0 = off).</summary>
    [ConfigKey("sigma", Min = 0, Max = 10)]
    public double Sigma { get; init; }

    /// <summary>What sigma multiplies.</summary>
    [ConfigKey("relative_to")]
    public ReadNoiseScale RelativeTo { get; init; } = ReadNoiseScale.Gmax;
}

/// <summary>Stuck-at faults: a fraction of cells fixed at G_min or G_max whatever is programmed.</summary>
public sealed record StuckAtSpec
{
    /// <summary>Fraction of cells stuck at G_min.</summary>
    [ConfigKey("rate_gmin", Min = 0, Max = 1)]
    public double RateGmin { get; init; }

    /// <summary>Fraction of cells stuck at G_max.</summary>
    [ConfigKey("rate_gmax", Min = 0, Max = 1)]
    public double RateGmax { get; init; }
}

/// <summary>Conductance drift, power law: G(t) = G(t0) (t / t0)^(-nu).</summary>
public sealed record DriftSpec
{
    /// <summary>Apply conductance drift at read time t_s.</summary>
    [ConfigKey("enabled")]
    public bool Enabled { get; init; }

    /// <summary>Mean drift exponent.</summary>
    [ConfigKey("nu", Min = 0, Max = 1)]
    public double Nu { get; init; } = 0.05;

    /// <summary>Cell-to-cell standard deviation of nu.</summary>
    [ConfigKey("nu_sigma", Min = 0, Max = 1)]
    public double NuSigma { get; init; }

    /// <summary>Reference time after programming, seconds.</summary>
    [ConfigKey("t0_s", Unit = "s", Min = 0, MinExclusive = true, Max = 1e9)]
    public double T0Seconds { get; init; } = 20;

    /// <summary>Time after programming at which the array is read, seconds.</summary>
    [ConfigKey("t_s", Unit = "s", Min = 0, MinExclusive = true, Max = 1e9)]
    public double TSeconds { get; init; } = 86400;

    /// <summary>Global drift compensation (aihwkit GlobalDriftCompensation; Joshi et al., Nat. Commun. 2020): a periodic
    /// reference read of every array rescales its output by the measured mean conductance decay since programming.</summary>
    [ConfigKey("compensation")]
    public bool Compensation { get; init; }

    /// <summary>Interval between reference reads, seconds; the read at time t uses the scale measured at the last reference read.</summary>
    [ConfigKey("compensation_period_s", Unit = "s", Min = 0, MinExclusive = true, Max = 1e9)]
    public double CompensationPeriodSeconds { get; init; } = 3600;
}

/// <summary>First-order IR drop along word and bit lines.</summary>
public sealed record IrDropSpec
{
    /// <summary>Apply the first-order IR-drop model.</summary>
    [ConfigKey("enabled")]
    public bool Enabled { get; init; }

    /// <summary>Wire resistance of one cell-pitch segment of a word or bit line, ohms.</summary>
    [ConfigKey("wire_resistance_ohm", Unit = "ohm", Min = 0)]
    public double WireResistanceOhmPerCell { get; init; } = 5.57;
}

/// <summary>The paper's abstract noise (HaLoRA): w' = w + N(0, (sigma x s)^2), s = max|W| of the tile or layer, or |w|.</summary>
public sealed record WeightNoiseSpec
{
    /// <summary>Relative sigma (0 = off). The paper evaluates 0.005, 0.01, 0.02.</summary>
    [ConfigKey("sigma", Min = 0, Max = 10)]
    public double Sigma { get; init; } = 0.01;

    /// <summary>What max|W| sigma is relative to.</summary>
    [ConfigKey("scale")]
    public NoiseScale Scale { get; init; } = NoiseScale.Tile;

    /// <summary>Tile height (rows of W0 as stored: input dimension) for scale: tile.</summary>
    [ConfigKey("tile_rows", Min = 1, Max = 1 << 20)]
    public int TileRows { get; init; } = 64;

    /// <summary>Tile width (output dimension) for scale: tile.</summary>
    [ConfigKey("tile_cols", Min = 1, Max = 1 << 20)]
    public int TileCols { get; init; } = 64;

    /// <summary>How the standard normal draws are made: polar (the reference stream) or box-muller (vectorised, for large
    /// evaluations); the same noise law, different draws for the same seed.</summary>
    [ConfigKey("generator")]
    public NormalGenerator Generator { get; init; } = NormalGenerator.Polar;

    /// <summary>This section as the one noise record shared with the noise profile and the trainer (mean and output
    /// noise 0: the device's output error comes from its ADC and read-noise models).</summary>
    public NoiseModel Model => new() { Sigma = Sigma, Scale = Scale, TileInputs = TileRows, TileOutputs = TileCols };
}

/// <summary>
/// Iterative program-and-verify of every W0 cell (docs/lifecycle.md, "Programming W0"): each attempt is one write pulse
/// drawn from the programming-noise model, then one verify read; a cell is accepted when |G - G_target| &lt;= tolerance,
/// or left after max_iterations attempts. Off: the one-shot rram.device.write_energy_pj / write_latency_s price a write.
/// </summary>
public sealed record ProgramVerifySpec
{
    /// <summary>Program W0 by write-and-verify: the residual error after verify is the chip instance the accuracy path reads.</summary>
    [ConfigKey("enabled")]
    public bool Enabled { get; init; }

    /// <summary>Acceptance half-width |G - G_target| of one cell, microsiemens.</summary>
    [ConfigKey("tolerance_us", Unit = "uS", Min = 0, MinExclusive = true)]
    public double ToleranceMicrosiemens { get; init; } = 0.5;

    /// <summary>Attempts (write pulse + verify read) before a cell is given up at its last value.</summary>
    [ConfigKey("max_iterations", Min = 1, Max = 10000)]
    public int MaxIterations { get; init; } = 20;

    /// <summary>Energy of one write (SET or RESET) pulse into one cell, picojoules.</summary>
    [ConfigKey("pulse_energy_pj", Unit = "pJ", Min = 0)]
    public double PulseEnergyPicojoules { get; init; } = 4.0;

    /// <summary>Duration of one write pulse, seconds (the verify read adds one read pulse and one ADC conversion).</summary>
    [ConfigKey("pulse_s", Unit = "s", Min = 0, MinExclusive = true)]
    public double PulseSeconds { get; init; } = 100e-9;

    /// <summary>Arrays of one tile programmed at the same time (write drivers / charge-pump current per tile).</summary>
    [ConfigKey("arrays_in_parallel_per_tile", Min = 1, Max = 1 << 20)]
    public int ArraysInParallelPerTile { get; init; } = 1;

    /// <summary>Write pulses one cell survives before it wears out.</summary>
    [ConfigKey("endurance_cycles", Min = 1, Max = 1e15)]
    public double EnduranceCycles { get; init; } = 1e5;
}
