using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Devices.Memory;
using CimSim.Devices.Rram;
using CimSim.Devices.Sram;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Gpu;
using CimSim.Simulator.Pipeline;
using CimSim.Workloads.Datasets;
using CimSim.Workloads.Models;
using CimSim.Workloads.NoiseProfiles;
using CimSim.Workloads.Weights;

namespace CimSim.Simulator.Lifecycle;

/// <summary>What <see cref="LifecycleRunner.Run"/> prices (the `cimsim lifecycle` flags).</summary>
public sealed record LifecycleOptions
{
    /// <summary>The simulate request of one served request (hardware, model, LoRA, prompt/generate, GPU).</summary>
    public required SimulationRequest Request { get; init; }
    public double Months { get; init; } = 12;
    public int Adapters { get; init; } = 4;
    /// <summary>Requests served before the mix switches to the next task.</summary>
    public int SwapEvery { get; init; } = 100;
    public double RequestsPerDay { get; init; } = 10_000;
    /// <summary>Re-program W0 every this many days (0 = never).</summary>
    public double RefreshDays { get; init; }
    /// <summary>Re-tune the K adapters every this many days (0 = never).</summary>
    public double RetuneDays { get; init; }
    /// <summary>GPU-hours of one re-tuning of one adapter (an input assumption).</summary>
    public double RetuneGpuHours { get; init; } = 1;
    /// <summary>Small stand-in model directory for the accuracy points (null: no accuracy over time).</summary>
    public string? AccuracyModel { get; init; }
    public string? AccuracyData { get; init; }
    public int Seeds { get; init; } = 3;
    public int MaxTokens { get; init; } = 64;
    /// <summary>The deployed LoRA (PEFT directory) the accuracy points run with (null: the base model).</summary>
    public string? AccuracyAdapter { get; init; }
    /// <summary>Write the noise profile of the drifted chip at every accuracy age (no refresh) into this directory.</summary>
    public string? EmitProfiles { get; init; }
    /// <summary>`AGE=PATH`: a LoRA re-tuned against the chip at that age (`--retuned-adapter`, repeatable).</summary>
    public IReadOnlyList<string> RetunedAdapters { get; init; } = [];
}

/// <summary>One `--retuned-adapter AGE=PATH`, resolved against the accuracy ages.</summary>
public sealed record RetunedAdapter(string Age, string Label, double TimeS, string Path);

/// <summary>
/// The chip over its life (docs/lifecycle.md): program W0 (program-and-verify from Devices/Rram), serve a request mix of
/// K adapters switching task every M requests (swaps priced from the SRAM macro's and DRAM's device tables), refresh and
/// re-tune on a schedule, accuracy over deployment time from the drift model through the functional path, and the same
/// mix on the GPU baseline. Every price comes from <see cref="Devices.Energy.DeviceTables"/> or the GPU spec.
/// </summary>
public static class LifecycleRunner
{
    public const double SecondsPerDay = 86_400;
    /// <summary>Mean Gregorian month, days.</summary>
    public const double DaysPerMonth = 365.2425 / 12;

    /// <summary>Accuracy sample times: 1 s, 1 h, 1 day, 1 month, 1 year (those within the deployment, and its end).</summary>
    public static readonly (double Seconds, string Label)[] SampleTimes =
    [
        (1, "1 s"), (3600, "1 h"), (SecondsPerDay, "1 day"), (DaysPerMonth * SecondsPerDay, "1 month"), (365.2425 * SecondsPerDay, "1 year"),
    ];

    public static void Validate(LifecycleOptions o)
    {
        var problems = new List<string>();
        if (!(o.Months > 0) || o.Months > 600) problems.Add($"--months: found {o.Months}, expected a number of months in (0, 600]");
        if (o.Adapters < 1 || o.Adapters > 100_000) problems.Add($"--adapters: found {o.Adapters}, expected 1 .. 100000");
        if (o.SwapEvery < 1) problems.Add($"--swap-every: found {o.SwapEvery}, expected a positive number of requests");
        if (!(o.RequestsPerDay > 0) || o.RequestsPerDay > 1e12) problems.Add($"--requests-per-day: found {o.RequestsPerDay}, expected a number in (0, 1e12]");
        if (!(o.RefreshDays >= 0) || o.RefreshDays > 1e6) problems.Add($"--refresh: found {o.RefreshDays}, expected days >= 0 (0 = never)");
        if (!(o.RetuneDays >= 0) || o.RetuneDays > 1e6) problems.Add($"--retune: found {o.RetuneDays}, expected days >= 0 (0 = never)");
        if (!(o.RetuneGpuHours >= 0) || o.RetuneGpuHours > 1e9) problems.Add($"--retune-gpu-hours: found {o.RetuneGpuHours}, expected hours >= 0");
        if (o.Seeds < 1 || o.Seeds > 1000) problems.Add($"--seeds: found {o.Seeds}, expected 1 .. 1000");
        if (o.Request.LoraRank < 1) problems.Add($"--lora-rank: found {o.Request.LoraRank}, expected a positive rank (the adapters are the tenants)");
        if ((o.AccuracyModel is null) != (o.AccuracyData is null)) problems.Add("--accuracy-model and --data: give both (accuracy over time) or neither");
        if (o.AccuracyModel is { } m && !Directory.Exists(m)) problems.Add($"--accuracy-model {m}: not a directory; expected a model directory with config.json and safetensors");
        if (o.AccuracyData is { } d && !File.Exists(d)) problems.Add($"--data {d}: file not found; expected an evaluation data set (JSONL)");
        if (o.AccuracyModel is null && o.AccuracyAdapter is not null) problems.Add("--accuracy-adapter: needs --accuracy-model and --data (it is the LoRA the accuracy points run with)");
        if (o.AccuracyModel is null && o.EmitProfiles is not null) problems.Add("--emit-profiles: needs --accuracy-model and --data (the profiles are measured on that model)");
        if (o.AccuracyModel is null && o.RetunedAdapters.Count > 0) problems.Add("--retuned-adapter: needs --accuracy-model and --data (the re-tuned LoRA is scored on that model)");
        if (problems.Count == 0 && o.AccuracyModel is not null) Retuned(o, problems);
        if (problems.Count > 0) throw new UserInputException("invalid lifecycle flags", problems);
    }

    /// <summary>Age key of an accuracy sample label, as `--retuned-adapter` and the emitted profile files name it: "1 day" -> "1day".</summary>
    public static string AgeKey(string label) => label.Replace(" ", "", StringComparison.Ordinal);

    /// <summary>The accuracy sample times of a deployment of <paramref name="months"/> (those of <see cref="SampleTimes"/> inside it, and its end).</summary>
    public static List<(double Seconds, string Label)> AccuracyTimes(double months)
    {
        double lifeS = months * DaysPerMonth * SecondsPerDay;
        var times = SampleTimes.Where(t => t.Seconds <= lifeS * (1 + 1e-9)).ToList();
        if (times.Count == 0 || times[^1].Seconds < lifeS * (1 - 1e-9)) times.Add((lifeS, $"{months:G4} months"));
        return times;
    }

    /// <summary>
    /// Resolves `--retuned-adapter AGE=PATH` against the accuracy ages and checks each adapter against the accuracy model
    /// (every module a projection of it, shapes equal) and the deployed adapter (the same modules and ranks: re-tuning
    /// rewrites the same SRAM); every problem names the option.
    /// </summary>
    public static List<RetunedAdapter> Retuned(LifecycleOptions o, List<string>? problems = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        var own = problems ?? [];
        var result = new List<RetunedAdapter>();
        if (o.RetunedAdapters.Count == 0 && o.AccuracyAdapter is null) return result;
        var times = AccuracyTimes(o.Months);
        var ages = string.Join(", ", times.Select(t => AgeKey(t.Label)));
        ModelSpec? spec = null;
        var cfg = Path.Combine(o.AccuracyModel!, "config.json");
        try
        {
            if (File.Exists(cfg)) spec = ModelConfigParser.ParseFile(cfg);
        }
        catch (UserInputException ex)
        {
            own.Add($"--accuracy-model {o.AccuracyModel}: {ex.Message}");
        }
        PeftAdapter? Check(string option, string path)
        {
            try
            {
                var a = PeftAdapter.Load(path);
                if (spec is not null)
                    foreach (var p in FunctionalModel.AdapterProblems(spec, a)) own.Add($"{option}: {p} (model {o.AccuracyModel})");
                return a;
            }
            catch (UserInputException ex)
            {
                own.Add($"{option}: {ex.Message}");
                return null;
            }
        }
        var deployed = o.AccuracyAdapter is { } dep ? Check($"--accuracy-adapter {dep}", dep) : null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var arg in o.RetunedAdapters)
        {
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == arg.Length - 1)
            {
                own.Add($"--retuned-adapter {arg}: expected AGE=PATH with AGE one of {ages}");
                continue;
            }
            string age = arg[..eq].Trim(), path = arg[(eq + 1)..];
            var t = times.FindIndex(x => string.Equals(AgeKey(x.Label), AgeKey(age), StringComparison.OrdinalIgnoreCase));
            if (t < 0)
            {
                own.Add($"--retuned-adapter {arg}: age '{age}' is not an accuracy age of this {o.Months:G4}-month deployment; expected one of {ages}");
                continue;
            }
            if (!seen.Add(AgeKey(times[t].Label)))
            {
                own.Add($"--retuned-adapter {arg}: age {AgeKey(times[t].Label)} given twice");
                continue;
            }
            var option = $"--retuned-adapter {arg}";
            var a = Check(option, path);
            if (a is null) continue;
            if (deployed is not null)
            {
                var want = deployed.Modules.ToDictionary(kv => kv.Key, kv => kv.Value.Rank, StringComparer.Ordinal);
                var have = a.Modules.ToDictionary(kv => kv.Key, kv => kv.Value.Rank, StringComparer.Ordinal);
                var differ = want.Keys.Union(have.Keys).Where(k => !want.TryGetValue(k, out var r1) || !have.TryGetValue(k, out var r2) || r1 != r2).Order(StringComparer.Ordinal).ToList();
                if (differ.Count > 0)
                    own.Add($"{option}: {differ.Count} module(s) differ from the deployed adapter (--accuracy-adapter) in presence or rank, e.g. {differ[0]}; expected the same modules and ranks (re-tuning rewrites the same SRAM)");
            }
            result.Add(new RetunedAdapter(AgeKey(times[t].Label), times[t].Label, times[t].Seconds, path));
        }
        if (problems is null && own.Count > 0) throw new UserInputException("invalid lifecycle flags", own);
        return result;
    }

    public static LifecycleReport Run(LifecycleOptions o)
    {
        Validate(o);
        var run = SimulationRunner.RunStages(o.Request);
        var hw = run.Hardware;
        var mapping = run.Mapping;
        var dev = run.Devices;
        var gpu = GpuSpecLoader.Load(o.Request.Gpu);
        double days = o.Months * DaysPerMonth, lifeS = days * SecondsPerDay;
        var notes = new List<string>();

        // ---- programming W0 ----
        var rram = dev.Rram;
        var pv = rram.ProgramVerify;
        long cells = mapping.RramArrays * rram.Spec.Array.Cells;
        double cellPj = dev.EnergyPicojoules(RramArrayModel.ArrayComponent, RramArrayModel.CellWrite);
        long parallel = Math.Max(1, mapping.Tiles) * hw.Rram.ProgramVerify.ArraysInParallelPerTile;
        double waves = Math.Ceiling((double)mapping.RramArrays / parallel);
        bool pvOn = hw.Rram.ProgramVerify.Enabled;
        double pulsesPerCell = pvOn ? pv.MeanIterationsPerCell : 1;
        var programming = new ProgrammingResult
        {
            ProgramVerify = pvOn,
            Cells = cells,
            Arrays = mapping.RramArrays,
            MeanIterationsPerCell = pulsesPerCell,
            MeanIterationsPerRow = pvOn ? pv.MeanRowIterations(rram.Columns) : 1,
            FailFraction = pvOn ? pv.FailFraction : 0,
            SinglePulseStdUs = pv.SinglePulseStdSiemens * 1e6,
            ResidualStdUs = pv.ResidualStdSiemens * 1e6,
            EnergyPerCellPj = cellPj,
            EnergyJ = cells * cellPj * 1e-12,
            TimeS = waves * rram.ProgramSeconds,
            EnduranceCycles = hw.Rram.ProgramVerify.EnduranceCycles,
            ReprogrammingsSurvived = hw.Rram.ProgramVerify.EnduranceCycles / pulsesPerCell,
            ReprogrammingsSurvivedWorstCell = pv.ReprogrammingsSurvivedWorstCell,
        };
        if (!pvOn) notes.Add("program_verify is off: W0 writes are priced by rram.device.write_energy_pj / write_latency_s (one write per cell, no residual model)");

        // ---- adapters as tenants ----
        var adapters = Adapters(o, run.Hardware, mapping.ParamsSram, mapping.SramWeightMacros, dev.Sram, dev.Dram, gpu, days);

        // ---- serving ----
        var cim = run.Report.Cim;
        double requests = o.RequestsPerDay * days, tokens = requests * o.Request.GeneratedTokens * o.Request.Batch;
        double servingJ = requests * cim.EnergyJ, gpuServingJ = requests * run.Report.Gpu.EnergyJ;
        double windowS = o.SwapEvery * cim.LatencyS + (o.Adapters > adapters.ResidentSlots ? adapters.SwapStallS : 0);
        double genPerReq = (double)o.Request.GeneratedTokens * o.Request.Batch;
        double gpuWindowS = o.SwapEvery * run.Report.Gpu.LatencyS + adapters.GpuSwapS;

        // ---- maintenance ----
        int refreshes = o.RefreshDays > 0 ? (int)Math.Min(int.MaxValue, Math.Floor(days / o.RefreshDays - 1e-12)) : 0;
        int retunes = o.RetuneDays > 0 ? (int)Math.Min(int.MaxValue, Math.Floor(days / o.RetuneDays - 1e-12)) : 0;
        int programmings = 1 + refreshes;
        double retuneWriteJ = retunes * (double)o.Adapters * adapters.SramWriteEnergyJ;
        double retuneTrainJ = retunes * (double)o.Adapters * o.RetuneGpuHours * 3600 * gpu.TdpW;
        // Drift compensation: one reference read of every array right after each programming and every period after it.
        var drift = hw.Rram.Noise.Drift;
        double compReads = drift.Compensation ? programmings + Math.Floor(lifeS / drift.CompensationPeriodSeconds) : 0;
        double compJ = compReads * mapping.RramArrays * rram.ReferenceReadEnergyPicojoules * 1e-12;
        double compS = compReads * rram.ReferenceReadSeconds;
        var maintenance = new MaintenanceResult
        {
            Refreshes = refreshes,
            RefreshEnergyJ = refreshes * programming.EnergyJ,
            RefreshDowntimeS = refreshes * programming.TimeS,
            Programmings = programmings,
            WithinEndurance = programmings <= programming.ReprogrammingsSurvived,
            Retunes = retunes,
            RetuneWriteEnergyJ = retuneWriteJ,
            RetuneTrainingEnergyJ = retuneTrainJ,
            CompensationReads = compReads,
            CompensationEnergyJ = compJ,
            CompensationDowntimeS = compS,
        };
        if (!maintenance.WithinEndurance)
            notes.Add($"{programmings} programmings of W0 exceed the {programming.ReprogrammingsSurvived:G4} the mean cell survives (rram.program_verify.endurance_cycles)");

        double busyS = requests * cim.LatencyS + adapters.Swaps * adapters.SwapStallS + maintenance.RefreshDowntimeS + compS;
        var serving = new ServingResult
        {
            Requests = requests,
            TokensServed = tokens,
            EnergyPerRequestJ = cim.EnergyJ,
            LatencyPerRequestS = cim.LatencyS,
            EnergyJ = servingJ,
            ThroughputTokensPerS = o.SwapEvery * genPerReq / windowS,
            ThroughputNoSwapTokensPerS = genPerReq / cim.LatencyS,
            Utilisation = busyS / lifeS,
            GpuEnergyPerRequestJ = run.Report.Gpu.EnergyJ,
            GpuLatencyPerRequestS = run.Report.Gpu.LatencyS,
            GpuEnergyJ = gpuServingJ,
            GpuThroughputTokensPerS = o.SwapEvery * genPerReq / gpuWindowS,
        };
        if (serving.Utilisation > 1)
            notes.Add($"the chip would need {serving.Utilisation:F2}x the deployment time to serve {o.RequestsPerDay:G4} requests/day: lower --requests-per-day or replicate the chip");

        var phases = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["programming"] = programming.EnergyJ,
            ["serving"] = servingJ,
            ["adapter_swaps"] = adapters.SwapsEnergyJ,
            ["refreshes"] = maintenance.RefreshEnergyJ,
            ["retune_writes"] = retuneWriteJ,
            ["drift_compensation_reads"] = compJ,
        };
        double total = phases.Values.Sum();
        double gpuTotal = gpuServingJ + adapters.Swaps * adapters.GpuSwapEnergyJ;
        notes.Add($"re-tuning trains on a GPU: {o.RetuneGpuHours:G4} GPU-hours per adapter (input assumption) x {gpu.TdpW:G4} W TDP; reported apart from chip energy");

        var accuracy = o.AccuracyModel is null ? [] : Accuracy(o, hw, days, notes);
        if (o.EmitProfiles is not null)
            notes.Add($"noise profiles of the drifted chip (seed 0) at every accuracy age written: {string.Join(", ", EmitProfiles(o, hw).Select(Path.GetFileName))}");
        return new LifecycleReport
        {
            Inputs = new LifecycleInputs(run.Report.Inputs.HardwareName, run.Report.Inputs.Model, o.Request.LoraRank, run.Report.Inputs.LoraTargets,
                o.Request.PromptTokens, o.Request.GeneratedTokens, gpu.Name, o.Months, days, o.Adapters, o.SwapEvery, o.RequestsPerDay,
                o.RefreshDays, o.RetuneDays, o.RetuneGpuHours, o.AccuracyModel, o.AccuracyData, o.Seeds)
            {
                AccuracyAdapter = o.AccuracyAdapter,
                RetunedAdapters = [.. Retuned(o).Select(r => $"{r.Age}={r.Path}")],
                DriftCompensation = drift.Compensation,
                DriftCompensationPeriodS = drift.CompensationPeriodSeconds,
            },
            Programming = programming,
            Adapters = adapters,
            Serving = serving,
            Maintenance = maintenance,
            EnergyByPhaseJ = phases,
            TotalEnergyJ = total,
            EnergyPerTokenJ = total / tokens,
            GpuTotalEnergyJ = gpuTotal,
            GpuEnergyPerTokenJ = gpuTotal / tokens,
            Accuracy = accuracy,
            Notes = notes,
        };
    }

    /// <summary>
    /// Swap cost of one adapter (docs/lifecycle.md, "Adapters as tenants"): read its bytes from DRAM and write its bits
    /// into the SRAM macros, both priced from their device tables; resident slots from the mapped SRAM weight capacity.
    /// </summary>
    public static AdapterResult Adapters(LifecycleOptions o, HardwareSpec hw, long weightsPerAdapter, long sramWeightMacros,
        SramCimMacroModel sram, DramModel dram, GpuSpec gpu, double days)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(hw);
        ArgumentNullException.ThrowIfNull(sram);
        ArgumentNullException.ThrowIfNull(dram);
        ArgumentNullException.ThrowIfNull(gpu);
        long bits = weightsPerAdapter * hw.SramCim.WeightBits;
        long bytes = (bits + 7) / 8;
        double sramJ = sram.WriteEnergyPicojoules(weightsPerAdapter) * 1e-12;
        double dramJ = dram.TransferEnergyPicojoules(bytes) * 1e-12;
        long macros = Math.Max(1, sramWeightMacros);
        // Every macro writes its own rows at once; the adapter's bits spread evenly over the mapped macros.
        double sramS = bits / (macros * sram.WriteBitsPerSecondPerMacro);
        double stall = Math.Max(sramS, dram.TransferSeconds(bytes));
        int resident = weightsPerAdapter == 0 ? o.Adapters
            : (int)Math.Clamp(macros * sram.WeightCapacity / weightsPerAdapter, 1, int.MaxValue);
        double requests = o.RequestsPerDay * days;
        // Round-robin over K tasks: with K <= resident slots every adapter stays loaded after its first load; otherwise
        // every task switch evicts (LRU under a cyclic order always misses).
        long switches = (long)Math.Floor(requests / o.SwapEvery);
        long swaps = o.Adapters <= resident ? 0 : switches;
        long firstLoads = Math.Min(o.Adapters, resident);
        double gpuBytes = (double)weightsPerAdapter * gpu.WeightBytes;
        return new AdapterResult
        {
            Adapters = o.Adapters,
            WeightsPerAdapter = weightsPerAdapter,
            BytesPerAdapter = bytes,
            ResidentSlots = resident,
            SwapEnergyJ = sramJ + dramJ,
            SramWriteEnergyJ = sramJ,
            DramReadEnergyJ = dramJ,
            SwapStallS = stall,
            Swaps = swaps,
            SwapsEnergyJ = (swaps + firstLoads) * (sramJ + dramJ),
            GpuSwapEnergyJ = gpu.DynamicEnergyJoules(gpuBytes, flops: 0),
            GpuSwapS = gpu.MemorySeconds(gpuBytes),
        };
    }

    /// <summary>
    /// Accuracy of the stand-in model at each sample time (docs/lifecycle.md, "Drift over deployment time"): the chip read
    /// at age t since its last programming (drift t_s = age; at or before t0 the fresh chip), over chip seeds, without and
    /// with refresh (each refresh draws a new chip instance).
    /// </summary>
    public static IReadOnlyList<AccuracyPoint> Accuracy(LifecycleOptions o, HardwareSpec hw, double days, List<string> notes)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(hw);
        ArgumentNullException.ThrowIfNull(notes);
        var items = DatasetReader.Load(o.AccuracyData!).Items;
        var times = AccuracyTimes(o.Months);
        if (!hw.Rram.Noise.Drift.Enabled) notes.Add("rram.noise.drift.enabled is false: the chip does not drift, accuracy is flat over time");
        var retuned = Retuned(o);
        if (retuned.Count == 0)
            notes.Add("no --retuned-adapter: LoRA re-tuning is priced but its accuracy is not measured here (docs/lifecycle.md, \"Re-tuning the LoRA against the drifted chip\": --emit-profiles, cimsim-train, --retuned-adapter)");
        var series = new List<(string Name, double RefreshS)> { ("no refresh", 0) };
        if (o.RefreshDays > 0) series.Add(($"refresh every {o.RefreshDays:G4} days", o.RefreshDays * SecondsPerDay));
        var points = new List<AccuracyPoint>();
        foreach (var (name, refreshS) in series)
            foreach (var (t, label) in times)
                points.Add(Point(o, hw, items, name, t, label, refreshS, o.AccuracyAdapter));
        // Re-tuned LoRA: the same chips (no refresh, same seeds) with the adapter re-tuned against the chip at that age,
        // scored against the deployed adapter on ideal devices.
        foreach (var r in retuned)
            points.Add(Point(o, hw, items, RetunedSeries, r.TimeS, r.Label, 0, r.Path));
        return points;
    }

    /// <summary>Series name of the accuracy points with a LoRA re-tuned against the drifted chip.</summary>
    public const string RetunedSeries = "re-tuned LoRA (no refresh)";

    /// <summary>One accuracy point: the chip at time t (age t mod refresh period), over the run's chip seeds.</summary>
    private static AccuracyPoint Point(LifecycleOptions o, HardwareSpec hw, IReadOnlyList<EvalItem> items, string name, double t, string label,
        double refreshS, string? adapter)
    {
        double age = refreshS > 0 ? t - Math.Floor(t / refreshS) * refreshS : t;
        int generation = refreshS > 0 ? (int)Math.Floor(t / refreshS) : 0;
        var report = AccuracyRunner.Run(new AccuracyOptions
        {
            ModelDirectory = o.AccuracyModel!,
            AdapterDirectory = adapter,
            SeparateReference = true,
            ReferenceAdapterDirectory = o.AccuracyAdapter,
            Hardware = AtAge(hw, age),
            HardwareName = o.Request.HardwarePath,
            Items = items,
            DataName = o.AccuracyData!,
            Seeds = o.Seeds,
            // A refreshed chip is a new programming draw: its own seeds.
            FirstSeed = (ulong)generation * 1_000_003UL,
            MaxTokens = o.MaxTokens,
        });
        var l = report.Levels[0];
        return new AccuracyPoint
        {
            Series = name,
            TimeS = t,
            Label = label,
            AgeS = age,
            Perplexity = l.Perplexity.Mean,
            PerplexityStd = l.Perplexity.Std,
            ChoiceAccuracy = l.ChoiceAccuracy.Mean,
            ChoiceAccuracyStd = l.ChoiceAccuracy.Std,
            KlDivergence = l.KlDivergence.Mean ?? 0,
            KlDivergenceStd = l.KlDivergence.Std ?? 0,
            Top1Agreement = l.Top1Agreement.Mean ?? 0,
            Top1AgreementStd = l.Top1Agreement.Std ?? 0,
        };
    }

    /// <summary>
    /// The noise profile (`cimsim noise-profile`, docs/noise-profile.schema.json) of the chip the accuracy points read at each
    /// age without refresh: the same drift model and the first chip seed (seed 0), on the accuracy model; weight error only
    /// (no ADC probe: the trainer injects weight noise). Files DIR/profile-AGE.json, AGE as `--retuned-adapter` takes it.
    /// </summary>
    public static IReadOnlyList<string> EmitProfiles(LifecycleOptions o, HardwareSpec hw)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(hw);
        var written = new List<string>();
        Directory.CreateDirectory(o.EmitProfiles!);
        foreach (var (t, label) in AccuracyTimes(o.Months))
        {
            var profile = NoiseProfileBuilder.Build(new NoiseProfileOptions
            {
                Hardware = AtAge(hw, t),
                HardwareName = $"{o.Request.HardwarePath} at age {label} (drift t_s = {t:G6} s)",
                Model = o.AccuracyModel!,
                Seed = 0,
                ProbeTokens = 0,
                Generator = "cimsim lifecycle",
            });
            var path = Path.Combine(o.EmitProfiles!, $"profile-{AgeKey(label)}.json");
            NoiseProfileJson.Write(path, profile);
            written.Add(path);
        }
        return written;
    }

    /// <summary>The chip read <paramref name="ageS"/> seconds after programming: drift t_s = age, or no drift at or before t0.</summary>
    public static HardwareSpec AtAge(HardwareSpec hw, double ageS)
    {
        ArgumentNullException.ThrowIfNull(hw);
        var d = hw.Rram.Noise.Drift;
        var drift = d.Enabled && ageS > d.T0Seconds ? d with { TSeconds = Math.Min(ageS, 1e9) } : d with { Enabled = false };
        return hw with { Rram = hw.Rram with { Noise = hw.Rram.Noise with { Drift = drift } } };
    }
}
