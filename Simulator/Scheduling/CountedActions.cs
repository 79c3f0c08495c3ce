using CimSim.Devices.Digital;
using CimSim.Devices.Interconnect;
using CimSim.Devices.Memory;
using CimSim.Devices.Rram;
using CimSim.Devices.Sram;

namespace CimSim.Simulator.Scheduling;

/// <summary>One action the scheduler counts, named as its device model names it (component, action).</summary>
public readonly record struct CountedAction(string Component, string Action)
{
    public override string ToString() => $"{Component}.{Action}";
}

/// <summary>
/// The actions the scheduler counts, each at a fixed index of the count arrays (the hot loop adds doubles into
/// arrays, never looks up strings). Names come from the device models' constants, so a count always has the
/// table entry that prices it, and pricing (Reports) stops with the component and the action when one does not.
/// </summary>
public static class CountedActions
{
    private static readonly List<CountedAction> List = [];

    private static int Define(string component, string action)
    {
        List.Add(new CountedAction(component, action));
        return List.Count - 1;
    }

    public static readonly int CellRead = Define(RramArrayModel.ArrayComponent, RramArrayModel.CellRead);
    public static readonly int DacDrive = Define(RramArrayModel.DacComponent, RramArrayModel.Drive);
    public static readonly int AdcConversion = Define(RramArrayModel.AdcComponent, RramArrayModel.Conversion);
    /// <summary>Conversions by ADCs that mapping.adc_bits sets to b bits, at index b (index 0 unused): priced at the ADC model's b-bit energy.</summary>
    public static readonly int[] AdcConversionAt = [-1, .. Enumerable.Range(1, RramArrayModel.MaxAdcBits).Select(b => Define(RramArrayModel.AdcComponent, RramArrayModel.ConversionAt(b)))];
    public static readonly int SampleHold = Define(RramArrayModel.AdcComponent, RramArrayModel.SampleHold);
    public static readonly int ShiftAdd = Define(RramArrayModel.ShiftAddComponent, RramArrayModel.Add);
    public static readonly int SramMac = Define(SramCimMacroModel.Component, SramCimMacroModel.Mac);
    public static readonly int SramWriteBit = Define(SramCimMacroModel.Component, SramCimMacroModel.WriteBit);
    public static readonly int TileBufferRead = Define(BufferModel.TileBufferComponent, BufferModel.ReadBit);
    public static readonly int TileBufferWrite = Define(BufferModel.TileBufferComponent, BufferModel.WriteBit);
    public static readonly int GlobalBufferRead = Define(BufferModel.GlobalBufferComponent, BufferModel.ReadBit);
    public static readonly int GlobalBufferWrite = Define(BufferModel.GlobalBufferComponent, BufferModel.WriteBit);
    public static readonly int HopBit = Define(InterconnectModel.Component, InterconnectModel.HopBit);
    public static readonly int LinkBit = Define(InterconnectModel.LinkComponent, InterconnectModel.LinkBit);
    public static readonly int DigitalAdd = Define(VectorUnitModel.Component, VectorUnitModel.AddOp);
    public static readonly int DigitalMul = Define(VectorUnitModel.Component, VectorUnitModel.MulOp);
    public static readonly int DigitalExp = Define(VectorUnitModel.Component, VectorUnitModel.ExpOp);
    public static readonly int DigitalDiv = Define(VectorUnitModel.Component, VectorUnitModel.DivOp);
    public static readonly int DramBit = Define(DramModel.Component, DramModel.BitTransfer);

    /// <summary>Every counted action, by index.</summary>
    public static IReadOnlyList<CountedAction> All => List;

    public static int Count => List.Count;

    public static int IndexOf(string component, string action) =>
        List.FindIndex(a => a.Component == component && a.Action == action) is var i and >= 0 ? i
            : throw new KeyNotFoundException($"the scheduler counts no action '{action}' of component '{component}'");
}
