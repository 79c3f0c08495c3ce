using CimSim.Common.Units;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Devices.Periphery;

namespace CimSim.Devices.Rram;

/// <summary>
/// Cost of one RRAM crossbar array with its periphery (DACs, sample-and-holds, column ADCs, shift-and-add):
/// energy per action, latency, area (docs/devices.md, "Crossbar cost"). Actions of one input-vector MVM on
/// one array: every row is driven once per DAC step; every ADC channel (a differential column pair, or a
/// column) is sampled, converted and shift-added once per DAC step. Weight slices sit in separate columns
/// of the same array, so they add channels, not steps.
/// </summary>
public sealed class RramArrayModel
{
    public const string CellRead = "cell_read";
    public const string ArrayReadStep = "array_read_step";
    public const string DacDrive = "dac_drive";
    public const string SampleHold = "sample_hold";
    public const string AdcConversion = "adc_conversion";
    public const string ShiftAdd = "shift_add";
    public const string CellWrite = "cell_write";

    /// <summary>Mean fraction of rows driven high in one step: 1/2 for random bit-serial bits (docs/devices.md).</summary>
    public const double DefaultRowActivity = 0.5;

    public RramSpec Spec { get; }
    public RramFormat Format { get; }
    public IAdcCostModel Adc { get; }

    public RramArrayModel(RramSpec spec)
    {
        Spec = spec;
        Format = new RramFormat(spec);
        Adc = AdcCostModel.Create(spec.Adc, ColumnResistanceOhms);
        Energy = new EnergyTable("rram-array",
        [
            new(CellRead, CellReadEnergyPicojoules(MeanConductanceSiemens)),
            new(ArrayReadStep, ArrayReadStepEnergyPicojoules),
            new(DacDrive, spec.Dac.EnergyPicojoulesPerDrive),
            new(SampleHold, spec.Adc.SampleHold.EnergyPicojoules),
            new(AdcConversion, Adc.EnergyPicojoulesPerConversion),
            new(ShiftAdd, spec.ShiftAdd.EnergyPicojoules),
            new(CellWrite, spec.Device.WriteEnergyPicojoulesPerCell),
        ]);
    }

    /// <summary>Energy per action, picojoules.</summary>
    public EnergyTable Energy { get; }

    public int Rows => Spec.Array.Rows;
    public int Columns => Spec.Array.Cols;

    /// <summary>ADC input channels per array: column pairs (differential, subtracted before the ADC) or columns.</summary>
    public int AdcChannels => Columns / Format.CellsPerSlice;

    /// <summary>ADCs per array: ceil(columns / cols_per_adc).</summary>
    public int AdcsPerArray => (Columns + Spec.Adc.ColsPerAdc - 1) / Spec.Adc.ColsPerAdc;

    /// <summary>Channels each ADC converts one after another in a step (time multiplexing).</summary>
    public int ConversionsPerAdcPerStep => (AdcChannels + AdcsPerArray - 1) / AdcsPerArray;

    /// <summary>Weights (output channels) one array holds across its columns.</summary>
    public int OutputsPerArray => Math.Max(1, Columns / Spec.Array.CellsPerWeight);

    public int DacSteps => Format.DacSteps;

    /// <summary>Mean programmed conductance (G_min + G_max) / 2, siemens.</summary>
    public double MeanConductanceSiemens => (Format.GMinSiemens + Format.GMaxSiemens) / 2;

    /// <summary>Resistance a column presents to the ADC: 1 / (rows x mean G) (the NeuroSim fit's R_col).</summary>
    public double ColumnResistanceOhms => 1.0 / (Rows * MeanConductanceSiemens);

    /// <summary>Energy one cell dissipates during one read pulse: V^2 G t (Joule heating of a resistor), picojoules.</summary>
    public double CellReadEnergyPicojoules(double conductanceSiemens, double voltageFraction = 1.0)
    {
        double v = Spec.Device.ReadVoltageVolts * voltageFraction;
        return v * v * conductanceSiemens * Spec.Device.ReadPulseSeconds * 1e12;
    }

    /// <summary>
    /// One DAC step over one whole array: rows x cols x activity x V^2 G_mean t (activity: fraction of rows
    /// driven; for a multi-bit amplitude DAC the mean (c / c_max)^2 = 1/3 of uniform levels replaces 1/2).
    /// </summary>
    public double ArrayReadStepEnergyPicojoules =>
        (double)Rows * Columns * RowActivity * CellReadEnergyPicojoules(MeanConductanceSiemens);

    /// <summary>Mean of (applied level / max level)^2 over rows: 1/2 for 1-bit steps, 1/3 for multi-bit amplitude levels.</summary>
    public double RowActivity => Format.DacBits == 1 ? DefaultRowActivity : 1.0 / 3.0;

    /// <summary>Action counts of one input vector through one array (all its rows and columns in use).</summary>
    public IReadOnlyDictionary<string, long> ActionsPerVectorMvm(int activeRows = -1, int activeChannels = -1)
    {
        long rows = activeRows < 0 ? Rows : activeRows, ch = activeChannels < 0 ? AdcChannels : activeChannels;
        long steps = DacSteps;
        return new Dictionary<string, long>
        {
            [ArrayReadStep] = steps,
            [DacDrive] = rows * steps,
            [SampleHold] = ch * steps,
            [AdcConversion] = ch * steps,
            [ShiftAdd] = ch * steps,
        };
    }

    /// <summary>Energy of one input vector through one array, picojoules (= ActionsPerVectorMvm priced by Energy).</summary>
    public double EnergyPerVectorMvmPicojoules => Energy.Price(ActionsPerVectorMvm());

    /// <summary>Energy to program the whole array once, picojoules.</summary>
    public double ProgramEnergyPicojoules => Energy[CellWrite] * Rows * Columns;

    // ---- latency (seconds; converted to cycles only through a ClockDomain) ----

    /// <summary>Drive + read pulse + sample: the analog phase of one step.</summary>
    public double AnalogPhaseSeconds => Spec.Dac.LatencySeconds + Spec.Device.ReadPulseSeconds + Spec.Adc.SampleHold.LatencySeconds;

    /// <summary>All channels of one ADC converted one after another, then the last shift-add.</summary>
    public double ConversionPhaseSeconds => ConversionsPerAdcPerStep * Adc.LatencySecondsPerConversion + Spec.ShiftAdd.LatencySeconds;

    /// <summary>
    /// Time between successive steps when the sample-and-hold lets step k+1's read overlap step k's
    /// conversions: max(analog phase, conversion phase).
    /// </summary>
    public double StepIntervalSeconds => Math.Max(AnalogPhaseSeconds, ConversionPhaseSeconds);

    /// <summary>One input vector through one array: the first analog phase, then one interval per step.</summary>
    public double VectorMvmSeconds => AnalogPhaseSeconds + DacSteps * StepIntervalSeconds - (StepIntervalSeconds - ConversionPhaseSeconds);

    public Cycles VectorMvmCycles(ClockDomain clock) => clock.FromSecondsCeiling(VectorMvmSeconds);

    /// <summary>Programming the whole array row by row, seconds.</summary>
    public double ProgramSeconds => Rows * Spec.Device.WriteLatencySecondsPerRow;

    // ---- area (square micrometres) ----
    public double CellArrayAreaSquareMicrometres => (double)Rows * Columns * Spec.Device.CellAreaSquareMicrometres;
    public double DacAreaSquareMicrometres => Rows * Spec.Dac.AreaSquareMicrometres;
    public double SampleHoldAreaSquareMicrometres => AdcChannels * Spec.Adc.SampleHold.AreaSquareMicrometres;
    public double AdcAreaSquareMicrometres => AdcsPerArray * Spec.Adc.AreaSquareMicrometres;
    public double ShiftAddAreaSquareMicrometres => AdcsPerArray * Spec.ShiftAdd.AreaSquareMicrometres;
    public double PeripheryAreaSquareMicrometres => DacAreaSquareMicrometres + SampleHoldAreaSquareMicrometres + AdcAreaSquareMicrometres + ShiftAddAreaSquareMicrometres;
    public double AreaSquareMicrometres => CellArrayAreaSquareMicrometres + PeripheryAreaSquareMicrometres;

    /// <summary>Leakage of the array's ADCs, watts.</summary>
    public double LeakagePowerWatts => AdcsPerArray * Spec.Adc.LeakagePowerWatts;
}
