using CimSim.Common.Units;
using CimSim.Simulator.Engine;
using CimSim.Workloads.Graph;

namespace CimSim.Simulator.Scheduling;

/// <summary>Busy and stall cycles of one resource class (all resources of the class summed).</summary>
public sealed record ResourceClassStats(string ResourceClass, int Resources, int Servers, long BusyCycles, long StallCycles, long Requests, double Utilisation);

/// <summary>Everything the scheduler measured: times, events, action counts per task template and per phase, resource statistics.</summary>
public sealed class ScheduleResult
{
    public required LayerProgram Program { get; init; }
    public required Cycles TotalCycles { get; init; }
    /// <summary>When the last prefill job finished (the first token of every batch item exists).</summary>
    public required Cycles PrefillCycles { get; init; }
    public required long Events { get; init; }
    /// <summary>Action counts indexed [task template id][<see cref="CountedActions"/> index].</summary>
    public required double[][] CountsByTemplate { get; init; }
    /// <summary>Action counts indexed [phase 0 prefill, 1 decode][<see cref="CountedActions"/> index].</summary>
    public required double[][] CountsByPhase { get; init; }
    /// <summary>Cycles each task template held its resource, summed over jobs (service time, queueing excluded).</summary>
    public required long[] BusyCyclesByTemplate { get; init; }
    /// <summary>Servers (parallel slots) of each resource, by <see cref="TaskTemplate.ResourceKey"/>.</summary>
    public required IReadOnlyDictionary<string, int> ServersByResource { get; init; }
    public required IReadOnlyList<ResourceClassStats> Resources { get; init; }
    public required long TasksExecuted { get; init; }
}

/// <summary>
/// Plays the workload on the mapped chip: every prefill chunk and every decode step of every batch item is a job
/// (one instance of the <see cref="LayerProgram"/> DAG); each task waits for its dependencies, then holds its
/// resource for its closed-form duration, queueing first-come-first-served where the resource is busy. Batch
/// items and prefill chunks pipeline across layers because each layer's arrays and macros are separate resources.
/// </summary>
public sealed class CycleScheduler
{
    private readonly CimHardwareModel _hw;
    private readonly LayerProgram _program;
    private readonly CimCostModel _cost;
    private readonly SimulationEngine _engine;
    private readonly Resource[] _resourceOfTask;
    private readonly List<Resource> _resources = [];
    private readonly int[][] _prevDependents;
    private readonly double[][] _countsByTemplate;
    private readonly double[][] _countsByPhase;
    private readonly long[] _busyByTemplate;
    private readonly double[] _scratch = new double[CountedActions.Count];
    private long _tasksExecuted;
    private long _prefillEnd;

    public CycleScheduler(CimHardwareModel hw, OperatorGraph graph, int prefillChunkTokens = 64)
    {
        if (prefillChunkTokens < 1) throw new ArgumentOutOfRangeException(nameof(prefillChunkTokens), prefillChunkTokens, "needs at least one token per chunk");
        _hw = hw;
        PrefillChunkTokens = prefillChunkTokens;
        _program = new LayerProgram(graph, hw);
        _cost = new CimCostModel(hw, _program.Shape);
        _engine = new SimulationEngine(hw.Clock);
        var byKey = new Dictionary<string, Resource>(StringComparer.Ordinal);
        var tasks = _program.Tasks;
        _resourceOfTask = new Resource[tasks.Count];
        for (var i = 0; i < tasks.Count; i++)
        {
            var t = tasks[i];
            if (!byKey.TryGetValue(t.ResourceKey, out var r))
            {
                var servers = t.ResourceKey switch
                {
                    "digital" => hw.DigitalUnits,
                    "link" => hw.InterconnectLinks,
                    _ => 1,
                };
                r = new Resource(_engine, t.ResourceKey, t.ResourceClass, servers);
                byKey[t.ResourceKey] = r;
                _resources.Add(r);
            }
            _resourceOfTask[i] = r;
        }
        _prevDependents = new int[tasks.Count][];
        for (var i = 0; i < tasks.Count; i++)
            _prevDependents[i] = tasks.Where(t => t.PreviousJobDependency == i).Select(t => t.Id).ToArray();
        _countsByTemplate = tasks.Select(_ => new double[CountedActions.Count]).ToArray();
        _countsByPhase = [new double[CountedActions.Count], new double[CountedActions.Count]];
        _busyByTemplate = new long[tasks.Count];
    }

    public int PrefillChunkTokens { get; }

    public CimCostModel CostModel => _cost;

    private sealed class Job
    {
        public required int Phase;
        public required long Tokens;
        public required long LastTokens;
        public required long KvSum;
        public required long KvLength;
        public required int[] Remaining;
        public int Done;
        public Job? Previous;
        public Job? Next;
        public bool[]? Completed;
        public Action? OnFinished;
    }

    /// <summary>Runs the whole workload (prefill then every decode step of every batch item).</summary>
    public ScheduleResult Run()
    {
        var shape = _program.Shape;
        var lastPrefill = new Job[shape.Batch];
        var prefillJobs = new List<Job>();
        var remainingPrefill = 0;
        for (var b = 0; b < shape.Batch; b++)
        {
            Job? prev = null;
            for (long p0 = 0; p0 < shape.PromptTokens; p0 += PrefillChunkTokens)
            {
                var m = Math.Min(PrefillChunkTokens, shape.PromptTokens - p0);
                var isLast = p0 + m >= shape.PromptTokens;
                var job = NewJob(0, m, isLast ? 1 : 0, m * p0 + m * (m + 1) / 2, p0 + m, prev);
                if (prev is not null) prev.Next = job;
                prev = job;
                prefillJobs.Add(job);
                remainingPrefill++;
            }
            lastPrefill[b] = prev!;
        }
        foreach (var job in prefillJobs)
        {
            var item = Array.IndexOf(lastPrefill, job);
            job.OnFinished = () =>
            {
                if (--remainingPrefill == 0) _prefillEnd = _engine.Now.Value;
                if (item >= 0) StartDecode(job, 1);
            };
        }
        foreach (var job in prefillJobs) Launch(job);
        _engine.Run();

        return new ScheduleResult
        {
            Program = _program,
            TotalCycles = _engine.Now,
            PrefillCycles = new Cycles(_prefillEnd),
            Events = _engine.EventsProcessed,
            CountsByTemplate = _countsByTemplate,
            CountsByPhase = _countsByPhase,
            BusyCyclesByTemplate = _busyByTemplate,
            ServersByResource = _program.Tasks.Select((t, i) => (t.ResourceKey, _resourceOfTask[i].Servers)).Distinct()
                .ToDictionary(p => p.ResourceKey, p => p.Servers, StringComparer.Ordinal),
            TasksExecuted = _tasksExecuted,
            Resources = _resources.GroupBy(r => r.ResourceClass, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g =>
                {
                    var servers = g.Sum(r => r.Servers);
                    var busy = g.Sum(r => r.BusyCycles);
                    var span = _engine.Now.Value;
                    return new ResourceClassStats(g.Key, g.Count(), servers, busy, g.Sum(r => r.StallCycles), g.Sum(r => r.Requests),
                        span <= 0 ? 0 : (double)busy / ((double)span * servers));
                }).ToList(),
        };
    }

    private void StartDecode(Job previous, int step)
    {
        var shape = _program.Shape;
        if (step > shape.DecodeSteps) return;
        // Decode step s processes the token at position P + s - 1 and attends to P + s positions.
        long kv = shape.PromptTokens + step;
        var job = NewJob(1, 1, 1, kv, kv, previous);
        job.OnFinished = () => StartDecode(job, step + 1);
        Launch(job);
    }

    private Job NewJob(int phase, long tokens, long lastTokens, long kvSum, long kvLength, Job? previous)
    {
        var tasks = _program.Tasks;
        var remaining = new int[tasks.Count];
        for (var i = 0; i < tasks.Count; i++) remaining[i] = tasks[i].Dependencies.Length;
        return new Job
        {
            Phase = phase,
            Tokens = tokens,
            LastTokens = lastTokens,
            KvSum = kvSum,
            KvLength = kvLength,
            Remaining = remaining,
            Previous = previous,
        };
    }

    private void Launch(Job job)
    {
        var tasks = _program.Tasks;
        job.Completed = new bool[tasks.Count];
        // Dependencies on the previous job of the sequence that is still running (prefill chunks).
        if (job.Previous is { Completed: not null } prev && prev.Done < tasks.Count)
            for (var i = 0; i < tasks.Count; i++)
                if (tasks[i].PreviousJobDependency is { } d && !prev.Completed[d]) job.Remaining[i]++;
        for (var i = 0; i < tasks.Count; i++)
            if (job.Remaining[i] == 0) Ready(job, i);
    }

    private void Ready(Job job, int id)
    {
        var t = _program.Tasks[id];
        var tokens = t.LastTokenOnly ? job.LastTokens : job.Tokens;
        var (kvSum, kvLength) = t.Attended(job.Tokens, job.KvSum, job.KvLength);
        var duration = _cost.Duration(t, tokens, kvSum, kvLength);
        Array.Clear(_scratch);
        _cost.AddActions(t, tokens, kvSum, kvLength, _scratch);
        var byTemplate = _countsByTemplate[id];
        var byPhase = _countsByPhase[job.Phase];
        for (var c = 0; c < _scratch.Length; c++)
        {
            var v = _scratch[c];
            if (v == 0) continue;
            byTemplate[c] += v;
            byPhase[c] += v;
        }
        _tasksExecuted++;
        _busyByTemplate[id] += duration;
        if (duration == 0) Complete(job, id);
        else _resourceOfTask[id].Request(new Cycles(duration), _ => Complete(job, id));
    }

    private void Complete(Job job, int id)
    {
        job.Completed![id] = true;
        job.Done++;
        foreach (var s in _program.Successors[id])
            if (--job.Remaining[s] == 0) Ready(job, s);
        if (job.Next is { Completed: not null } next)
            foreach (var s in _prevDependents[id])
                if (--next.Remaining[s] == 0) Ready(next, s);
        if (job.Done == _program.Tasks.Count) job.OnFinished?.Invoke();
    }
}
