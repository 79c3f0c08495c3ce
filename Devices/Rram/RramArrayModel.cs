using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Devices.Periphery;

namespace CimSim.Devices.Rram;

/// <summary>
/// Cost of one RRAM crossbar array with its periphery (docs/devices.md, "Crossbar cost"): the reference tables of
/// the four components it owns, one instance = one array: <c>rram_array</c> (cells), <c>dac</c> (row drivers),
/// <c>adc</c> (column ADCs with their sample-and-holds), <c>shift_add</c>. Per DAC step every active row is driven
/// once, every cell under an active row is read once, and every ADC channel (a differential column pair, a
/// weight column or a reference column) is sampled, converted and shift-added once.
/// </summary>
public sealed class RramArrayModel
{
    public const string ArrayComponent = "rram_array";
    public const string DacComponent = "dac";
    public const string AdcComponent = "adc";
    public const string ShiftAddComponent = "shift_add";

    /// <summary>One cell under one DAC step (energy averaged over the input activity).</summary>
    public const string CellRead = "cell_read";
    public const string CellWrite = "cell_write";
    /// <summary>One row driven for one DAC step.</summary>
    public const string Drive = "drive";
    public const string SampleHold = "sample_hold";
    public const string Conversion = "conversion";
    /// <summary>One shift-and-add of one channel's partial sum (or one adder-tree merge).</summary>
    public const string Add = "add";

    /// <summary>Mean fraction of rows driven high in one step: 1/2 for random bit-serial bits (docs/devices.md).</summary>
    public const double DefaultRowActivity = 0.5;

    /// <summary>Mean (level / max level)^2 of uniform multi-bit amplitude inputs: the integral of x^2 over [0, 1].</summary>
    public const double MultiBitRowActivity = 1.0 / 3.0;

    public RramSpec Spec { get; }
    public RramFormat Format { get; }
    public IAdcCostModel Adc { get; }

    /// <summary>The row drivers' model (rram.dac.impl).</summary>
    public IDacCostModel Dac { get; }

    /// <summary>The cell-read price model (rram.array.impl).</summary>
    public IArrayReadModel Read { get; }

    public RramArrayModel(RramSpec spec)
    {
        Spec = spec;
        Format = new RramFormat(spec);
        Adc = AdcCostModel.Create(spec.Adc, ColumnResistanceOhms);
        Dac = DacCostModel.Create(spec.Dac);
        Read = ArrayReadModel.Create(spec, RowActivity, MeanConductanceSiemens);
        // A verify read senses one cell at full read voltage through its column's sample-and-hold and ADC.
        ProgramVerify = new ProgramVerifyModel(Format,
            CellReadEnergyPicojoules(MeanConductanceSiemens) + spec.Adc.SampleHold.EnergyPicojoules + Adc.EnergyPicojoulesPerConversion,
            spec.Device.ReadPulseSeconds + spec.Adc.SampleHold.LatencySeconds + Adc.LatencySecondsPerConversion);
        Tables =
        [
            new ComponentTable
            {
                Component = ArrayComponent, Instance = "array",
                Energy = new EnergyTable(ArrayComponent, [new(CellRead, CellReadStepEnergyPicojoules), new(CellWrite, CellWriteEnergyPicojoules)]),
                LatencySeconds = new Dictionary<string, double> { [CellRead] = AnalogPhaseSeconds, [CellWrite] = RowWriteSeconds },
                AreaSquareMicrometresPerInstance = CellArrayAreaSquareMicrometres,
            },
            new ComponentTable
            {
                Component = DacComponent, Instance = "array",
                Energy = new EnergyTable(DacComponent, [new(Drive, Dac.EnergyPicojoulesPerDrive)]),
                LatencySeconds = new Dictionary<string, double> { [Drive] = Dac.LatencySeconds },
                AreaSquareMicrometresPerInstance = DacAreaSquareMicrometres,
            },
            new ComponentTable
            {
                Component = AdcComponent, Instance = "array",
                Energy = new EnergyTable(AdcComponent, [new(Conversion, Adc.EnergyPicojoulesPerConversion), new(SampleHold, spec.Adc.SampleHold.EnergyPicojoules),
                    .. Enumerable.Range(1, MaxAdcBits).Select(b => KeyValuePair.Create(ConversionAt(b), AdcAt(b).EnergyPicojoulesPerConversion))]),
                LatencySeconds = new Dictionary<string, double> { [Conversion] = Adc.LatencySecondsPerConversion, [SampleHold] = spec.Adc.SampleHold.LatencySeconds },
                AreaSquareMicrometresPerInstance = AdcAreaSquareMicrometres + SampleHoldAreaSquareMicrometres,
                LeakageWattsPerInstance = spec.Dac.ParallelSteps * AdcsPerArray * spec.Adc.LeakagePowerWatts,
            },
            new ComponentTable
            {
                Component = ShiftAddComponent, Instance = "array",
                Energy = new EnergyTable(ShiftAddComponent, [new(Add, spec.ShiftAdd.EnergyPicojoules)]),
                LatencySeconds = new Dictionary<string, double> { [Add] = spec.ShiftAdd.LatencySeconds },
                AreaSquareMicrometresPerInstance = ShiftAddAreaSquareMicrometres,
            },
        ];
    }

    /// <summary>Highest ADC resolution a config may ask for (rram.adc.bits and mapping.adc_bits share the range 1..16).</summary>
    public const int MaxAdcBits = 16;

    /// <summary>The action of one conversion by an ADC overridden to <paramref name="bits"/> by mapping.adc_bits: "conversion_6b".</summary>
    public static string ConversionAt(int bits) => $"{Conversion}_{bits}b";

    private readonly Dictionary<int, IAdcCostModel> _adcAt = [];

    /// <summary>
    /// The configured ADC model (rram.adc.impl and its parameters) at <paramref name="bits"/> instead of rram.adc.bits:
    /// what a `mapping.adc_bits` override prices (energy, conversion time, area), from the same model.
    /// </summary>
    public IAdcCostModel AdcAt(int bits)
    {
        if (bits == Spec.Adc.Bits) return Adc;
        lock (_adcAt)
        {
            if (!_adcAt.TryGetValue(bits, out var m)) _adcAt[bits] = m = AdcCostModel.Create(Spec.Adc with { Bits = bits }, ColumnResistanceOhms);
            return m;
        }
    }

    /// <summary>ADC area of one array whose ADCs convert at <paramref name="bits"/> (parallel_steps copies of each ADC), square micrometres.</summary>
    public double AdcAreaSquareMicrometresAt(int bits) => ParallelSteps * AdcsPerArray * AdcAt(bits).AreaSquareMicrometres;

    /// <summary>The reference tables of the array's components.</summary>
    public IReadOnlyList<ComponentTable> Tables { get; }

    public int Rows => Spec.Array.Rows;
    public int Columns => Spec.Array.Cols;

    /// <summary>Reference columns per array (offset encoding: 1).</summary>
    public int ReferenceColumns => Spec.Array.ReferenceColumns;

    /// <summary>Cells per weight slice: 2 for a differential pair (subtracted before the ADC), else 1.</summary>
    public int CellsPerChannel => Format.CellsPerSlice;

    /// <summary>ADC input channels per array: column pairs (differential) or columns, reference columns included.</summary>
    public int AdcChannels => (Columns - ReferenceColumns) / CellsPerChannel + ReferenceColumns;

    /// <summary>ADCs per array: ceil(columns / cols_per_adc).</summary>
    public int AdcsPerArray => (Columns + Spec.Adc.ColsPerAdc - 1) / Spec.Adc.ColsPerAdc;

    /// <summary>Channels each ADC converts one after another in a step (time multiplexing).</summary>
    public int ConversionsPerAdcPerStep => (AdcChannels + AdcsPerArray - 1) / AdcsPerArray;

    public int DacSteps => Format.DacSteps;

    /// <summary>Copies of the cells and sense chain that sense input bit-planes at the same time (rram.dac.parallel_steps).</summary>
    public int ParallelSteps => Spec.Dac.ParallelSteps;

    /// <summary>DAC steps one after another per input vector: ceil(steps / parallel_steps).</summary>
    public int SequentialDacSteps => (DacSteps + ParallelSteps - 1) / ParallelSteps;

    /// <summary>Mean programmed conductance (G_min + G_max) / 2, siemens.</summary>
    public double MeanConductanceSiemens => (Format.GMinSiemens + Format.GMaxSiemens) / 2;

    /// <summary>Resistance a column presents to the ADC: 1 / (rows x mean G) (the NeuroSim fit's R_col).</summary>
    public double ColumnResistanceOhms => 1.0 / (Rows * MeanConductanceSiemens);

    /// <summary>Energy one cell dissipates during one read pulse: V^2 G t (Joule heating of a resistor), picojoules.</summary>
    public double CellReadEnergyPicojoules(double conductanceSiemens, double voltageFraction = 1.0) =>
        new CellCurrentReadModel(Spec.Device, voltageFraction * voltageFraction, conductanceSiemens).CellReadStepEnergyPicojoules;

    /// <summary>Mean of (applied level / max level)^2 over rows: 1/2 for 1-bit steps, 1/3 for multi-bit amplitude levels.</summary>
    public double RowActivity => Format.DacBits == 1 ? DefaultRowActivity : MultiBitRowActivity;

    /// <summary>The <see cref="CellRead"/> price, picojoules per cell per DAC step, from the configured read model
    /// (cell-current: activity x V^2 G_mean t).</summary>
    public double CellReadStepEnergyPicojoules => Read.CellReadStepEnergyPicojoules;

    /// <summary>Action counts of one input vector through one full array (all rows and channels in use), by (component, action).</summary>
    public IReadOnlyDictionary<(string Component, string Action), long> ActionsPerVectorMvm()
    {
        long steps = DacSteps;
        return new Dictionary<(string, string), long>
        {
            [(ArrayComponent, CellRead)] = (long)Rows * Columns * steps,
            [(DacComponent, Drive)] = Rows * steps,
            [(AdcComponent, SampleHold)] = AdcChannels * steps,
            [(AdcComponent, Conversion)] = AdcChannels * steps,
            [(ShiftAddComponent, Add)] = AdcChannels * steps,
        };
    }

    /// <summary>MACs one full-array vector MVM performs: rows x weights held across the usable columns.</summary>
    public long MacsPerVectorMvm => (long)Rows * ((Columns - ReferenceColumns) / Spec.Array.CellsPerWeight);

    // ---- latency (seconds; the scheduler converts them through its ClockDomain and composes them) ----

    /// <summary>Drive + read pulse + sample: the analog phase of one DAC step.</summary>
    public double AnalogPhaseSeconds => Dac.LatencySeconds + Spec.Device.ReadPulseSeconds + Spec.Adc.SampleHold.LatencySeconds;

    /// <summary>All channels of one ADC converted one after another.</summary>
    public double ConversionPhaseSeconds => ConversionsPerAdcPerStep * Adc.LatencySecondsPerConversion;

    /// <summary>
    /// One reference read of drift compensation (docs/lifecycle.md, "Drift compensation"): every row driven at full read
    /// voltage for one step, every cell read, every channel sampled and converted once, picojoules per array.
    /// </summary>
    public double ReferenceReadEnergyPicojoules =>
        (double)Rows * Columns * CellReadEnergyPicojoules(MeanConductanceSiemens) + Rows * Dac.EnergyPicojoulesPerDrive
        + AdcChannels * (Spec.Adc.SampleHold.EnergyPicojoules + Adc.EnergyPicojoulesPerConversion);

    /// <summary>One reference read: one analog phase and the conversions of its channels, seconds (every array has its own ADCs).</summary>
    public double ReferenceReadSeconds => AnalogPhaseSeconds + ConversionPhaseSeconds;

    /// <summary>Program-and-verify of this array's cells (docs/lifecycle.md, "Programming W0").</summary>
    public ProgramVerifyModel ProgramVerify { get; }

    /// <summary>The <see cref="CellWrite"/> price: program-and-verify's mean energy per cell when enabled, else rram.device.write_energy_pj.</summary>
    public double CellWriteEnergyPicojoules => Spec.ProgramVerify.Enabled ? ProgramVerify.EnergyPicojoulesPerCell : Spec.Device.WriteEnergyPicojoulesPerCell;

    /// <summary>Time to program one row (all its columns in parallel): program-and-verify's mean when enabled, else rram.device.write_latency_s.</summary>
    public double RowWriteSeconds => Spec.ProgramVerify.Enabled ? ProgramVerify.MeanRowIterations(Columns) * ProgramVerify.IterationSeconds : Spec.Device.WriteLatencySecondsPerRow;

    /// <summary>Programming the whole array row by row, seconds.</summary>
    public double ProgramSeconds => Rows * RowWriteSeconds;

    // ---- area per array (square micrometres; input-parallel sensing has parallel_steps copies of all of it) ----
    public double CellArrayAreaSquareMicrometres => ParallelSteps * (double)Rows * Columns * Spec.Device.CellAreaSquareMicrometres;
    public double DacAreaSquareMicrometres => ParallelSteps * Rows * Dac.AreaSquareMicrometres;
    public double SampleHoldAreaSquareMicrometres => ParallelSteps * AdcChannels * Spec.Adc.SampleHold.AreaSquareMicrometres;
    public double AdcAreaSquareMicrometres => AdcAreaSquareMicrometresAt(Spec.Adc.Bits);
    public double ShiftAddAreaSquareMicrometres => ParallelSteps * AdcsPerArray * Spec.ShiftAdd.AreaSquareMicrometres;
    public double AreaSquareMicrometres => Tables.Sum(t => t.AreaSquareMicrometresPerInstance);
}
