namespace CimSim.Devices.Config;

// YAML spells enum members in kebab-case: SarNeurosim <-> "sar-neurosim", GaussianRelativeGmax <->
// "gaussian-relative-gmax", Hbm2 <-> "hbm2". Adding a member is adding a YAML value.

/// <summary>How the standard normal draws of rram.noise.weight_noise are made (docs/devices.md, "Weight noise draws").</summary>
public enum NormalGenerator
{
    /// <summary>Marsaglia's polar method on xoshiro256**, in double: the draws of every chip before 1 Dec 2026, so results
    /// published with them reproduce.</summary>
    Polar,

    /// <summary>Box-Muller on 8 xoshiro128** lanes at once, in float: about 8x faster; a different chip for the same seed.</summary>
    BoxMuller,
}

/// <summary>How a signed weight is stored in non-negative conductances.</summary>
public enum WeightEncoding
{
    /// <summary>Two cells (G+ and G-) per weight slice; the column pair is subtracted after (or before) the ADC.</summary>
    Differential,

    /// <summary>One cell per weight slice storing w + offset; a reference column's current is subtracted (NeuroSim style).</summary>
    Offset,
}

/// <summary>Where the offset encoding's bias 2^(B_w-1) sum_i x_i is removed (docs/devices.md, section 2).</summary>
public enum OffsetSubtraction
{
    /// <summary>In the array, before the ADC: the reference column holds the offset level and its current is
    /// subtracted from every column's, so the ADC converts signed partial sums centred on 0.</summary>
    Analog,

    /// <summary>After the ADC, digitally (ISAAC; NeuroSim's and CrossSim's converted dummy column): the ADC also
    /// converts the bias current of every active row.</summary>
    Digital,
}

/// <summary>ADC energy/latency model (the functional quantisation is the same for all).</summary>
public enum AdcModelKind
{
    /// <summary>NeuroSim V1.4 SAR fit: E = [(a log2 L + b) uW + c exp(-d log10 R_col)] x (log2 L + 1) bit cycles.</summary>
    SarNeurosim,

    /// <summary>Walden figure of merit: E = FoM x 2^ENOB per conversion.</summary>
    Walden,

    /// <summary>Energy per conversion tabulated against resolution (e.g. ISAAC's 4/6/8/10-bit points), log-linear interpolation.</summary>
    Table,

    /// <summary>
    /// One survey design point (Murmann's ADC survey): E = max(Walden FoM x 2^ENOB, Schreier thermal limit) x speed
    /// penalty above a corner rate; conversion time 1 / sample rate; area doubling per ENOB bit from a reference point.
    /// </summary>
    Survey,
}

/// <summary>Row-driver (DAC) cost model, selected by rram.dac.impl (docs/devices.md, section 3).</summary>
public enum DacModelKind
{
    /// <summary>energy_pj per drive, area_um2 per DAC and latency_s at any resolution.</summary>
    Fixed,

    /// <summary>Energy and area x 2^(bits - reference_bits) from the reference point (Accelergy isaac.py IsaacDac scaling).</summary>
    ResolutionScaled,
}

/// <summary>Crossbar read-energy model, selected by rram.array.impl (docs/devices.md, section 4).</summary>
public enum ArrayReadModelKind
{
    /// <summary>Joule heating of the cells: activity x V^2 G_mean t_read per cell per step.</summary>
    CellCurrent,

    /// <summary>A published crossbar power over its read step, spread over its cells (ISAAC / PUMA).</summary>
    CrossbarPower,
}

/// <summary>How the ADC full-scale range is set relative to the column partial sum.</summary>
public enum AdcFullScaleMode
{
    /// <summary>Full scale = the largest partial sum the array can produce (never clips, coarsest step).</summary>
    Max,

    /// <summary>Full scale = clip_fraction x the largest possible partial sum; larger sums clip.</summary>
    Fraction,

    /// <summary>Range [lo, hi] per array, weight slice and DAC step from partial sums observed on calibration inputs (calibration: percentile or mse).</summary>
    Calibrated,
}

/// <summary>How a calibrated ADC range is chosen from the calibration partial sums (docs/devices.md, "ADC calibration").</summary>
public enum AdcCalibrationMethod
{
    /// <summary>[lo, hi] = the (100 - P)-th and P-th percentiles, P = calibration_percentile.</summary>
    Percentile,

    /// <summary>The percentile pair (from 80 to 100) whose quantiser has the least mean squared error on the samples.</summary>
    Mse,
}

/// <summary>Programming (write) noise model of RRAM conductances.</summary>
public enum ProgrammingNoiseModel
{
    None,

    /// <summary>G' = G + N(0, sigma_us^2).</summary>
    GaussianAbsolute,

    /// <summary>G' = G + N(0, (sigma x G_max)^2).</summary>
    GaussianRelativeGmax,

    /// <summary>G' = G + N(0, (sigma x G)^2).</summary>
    GaussianRelativeG,

    /// <summary>Per-state fit: sigma(uS) = sum_k c_k x^k with x = G / gmax_us (aihwkit ReRamWan2022 style).</summary>
    Polynomial,
}

/// <summary>What read noise sigma is relative to.</summary>
public enum ReadNoiseScale
{
    /// <summary>sigma x G_max (additive, state-independent).</summary>
    Gmax,

    /// <summary>sigma x G (multiplicative, state-dependent).</summary>
    G,
}

/// <summary>On-chip buffer memory technology.</summary>
public enum BufferKind
{
    Sram,
    Edram,
}

/// <summary>On-chip network topology.</summary>
public enum InterconnectTopology
{
    /// <summary>2-D mesh of tiles, X-Y routing; hops = Manhattan distance.</summary>
    Mesh,

    /// <summary>One shared bus: every transfer is one hop and transfers serialise.</summary>
    Bus,
}

/// <summary>Off-chip memory technology.</summary>
public enum DramKind
{
    Hbm2,
    Hbm3,
    Lpddr4,
    Lpddr5,
    Ddr4,
}

/// <summary>Where a weight matrix's matrix-vector products run.</summary>
public enum ComputeTarget
{
    /// <summary>Analog RRAM crossbars (rram section).</summary>
    Rram,

    /// <summary>SRAM digital CIM macros (sram_cim section).</summary>
    Sram,

    /// <summary>The digital vector unit (digital section).</summary>
    Digital,
}

/// <summary>Where a dynamic matmul (attention QK^T, PV) runs: no static weights, so no RRAM.</summary>
public enum DynamicMatmulTarget
{
    Sram,
    Digital,
}

/// <summary>Where data that is stored (KV cache, embeddings) lives.</summary>
public enum StorageTarget
{
    /// <summary>The on-chip global buffer (buffer section).</summary>
    Buffer,

    /// <summary>Off-chip DRAM/HBM (dram section).</summary>
    Dram,
}

/// <summary>Granularity of the symmetric weight quantisation scale s (w ~ s q, q in -(2^(B-1)-1)..2^(B-1)-1).</summary>
public enum WeightQuantizationGranularity
{
    /// <summary>One scale per output channel (row of the [out, in] weight): max|W[o,:]| / (2^(B-1)-1).</summary>
    PerChannel,

    /// <summary>One scale per layer: max|W| / (2^(B-1)-1).</summary>
    PerTensor,
}

/// <summary>Granularity of the symmetric dynamic input (activation) quantisation scale.</summary>
public enum InputQuantizationGranularity
{
    /// <summary>One scale per token row, from its max|x|.</summary>
    PerToken,

    /// <summary>One scale for the whole batch of tokens.</summary>
    PerTensor,
}
