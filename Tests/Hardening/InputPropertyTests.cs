using System.Text;
using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Simulator.Cli;
using CimSim.Workloads.NoiseProfiles;
using CimSim.Workloads.Weights;
using CimSim.Tests.Workloads.NoiseProfiles;
using CsCheck;

namespace CimSim.Tests.Hardening;

/// <summary>
/// Property tests (issue 14, "fuzzing that stays"): for generated and mutated inputs, every reader ends in success or a
/// <see cref="UserInputException"/> within <see cref="Bound"/>, never another exception or a hang. Seeds come from the
/// real formats (default.yaml, the fixture safetensors and adapter, a noise profile) so mutations reach deep code.
/// Iteration counts keep all of them together to a few seconds; fuzz/ runs the same harnesses coverage-guided.
/// </summary>
[NonParallelizable]
public class InputPropertyTests
{
    /// <summary>Per-input time bound: far above any valid input's cost, far below a hang.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private const long Iterations = 150;

    /// <summary>Runs <paramref name="read"/>; returns null on success or a typed user error, else what went wrong.</summary>
    internal static string? Outcome(Action read)
    {
        var task = Task.Run(() =>
        {
            try
            {
                read();
                return null;
            }
            catch (UserInputException)
            {
                return null;
            }
            catch (Exception ex)
            {
                return ex.GetType().Name + ": " + ex.Message;
            }
        });
        return task.Wait(Bound) ? task.Result : $"no answer within {Bound.TotalSeconds} s";
    }

    /// <summary>Byte-level mutations of <paramref name="seed"/>: overwrite, insert, delete, truncate, duplicate a run.</summary>
    internal static Gen<byte[]> Mutations(byte[] seed) =>
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, Math.Max(0, seed.Length - 1)], Gen.Int[1, 64], Gen.Byte.Array[1, 8], (op, at, n, bytes) =>
        {
            var list = seed.ToList();
            switch (op)
            {
                case 0: for (var i = 0; i < bytes.Length && at + i < list.Count; i++) list[at + i] = bytes[i]; break;
                case 1: list.InsertRange(at, bytes); break;
                case 2: list.RemoveRange(at, Math.Min(n, list.Count - at)); break;
                case 3: list.RemoveRange(at, list.Count - at); break;
                default: list.InsertRange(at, list.Skip(at).Take(n).ToList()); break;
            }
            return list.ToArray();
        });

    /// <summary>Text mutations that favour the characters YAML and JSON structure is made of.</summary>
    internal static Gen<string> TextMutations(string seed) =>
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, Math.Max(0, seed.Length - 1)], Gen.Int[1, 40],
            Pick("", ":", "- ", "[", "]", "{", "}", "&a ", "*a", "\n  ", "'", "\"", "#", "1e308", "-1", "NaN", ".inf", "~", "\t", "!!binary ", "0x", "\0", "|"),
            (op, at, n, token) => op switch
            {
                0 => seed.Insert(at, token),
                1 => seed.Remove(at, Math.Min(n, seed.Length - at)),
                2 => seed[..at] + token + seed[Math.Min(seed.Length, at + n)..],
                _ => seed[..at],
            });

    private static Gen<T> Pick<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static void Check<T>(Gen<T> gen, Action<T> read) =>
        gen.Sample(x =>
        {
            var bad = Outcome(() => read(x));
            if (bad is not null) throw new InvalidOperationException(bad);
        }, iter: Iterations, threads: 1);

    [Test]
    public void LoadText_MutatedDefaultConfig_SuccessOrUserError()
    {
        var seed = File.ReadAllText(InProcessCli.HwConfig());
        Check(TextMutations(seed), t => HardwareConfigLoader.LoadText(t, "fuzz.yaml", baseDirectory: Path.GetTempPath()));
    }

    [Test]
    public void LoadText_ArbitraryYamlishText_SuccessOrUserError()
    {
        var chars = Gen.Char["\n :-[]{},&*!|>'\"#%@`?abcdefgrm_.0123456789"];
        Check(chars.Array[0, 300].Select(a => new string(a)), t => HardwareConfigLoader.LoadText(t, "fuzz.yaml", baseDirectory: Path.GetTempPath()));
    }

    [Test]
    public void SafetensorsOpen_MutatedFixture_SuccessOrUserError()
    {
        var seed = File.ReadAllBytes(FixturePaths.Of("llama_f32/model.safetensors"));
        var dir = FixturePaths.NewScratch();
        try
        {
            var path = Path.Combine(dir, "m.safetensors");
            Check(Mutations(seed), bytes =>
            {
                File.WriteAllBytes(path, bytes);
                using var f = SafetensorsFile.Open(path);
                foreach (var name in f.Tensors.Keys) f.ReadFloat32(name);
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void PeftAdapterLoad_MutatedConfigAndWeights_SuccessOrUserError()
    {
        var src = FixturePaths.Of("llama_f32_lora");
        var config = File.ReadAllText(Path.Combine(src, PeftAdapter.ConfigFileName));
        var weights = File.ReadAllBytes(Path.Combine(src, PeftAdapter.WeightsFileName));
        var dir = FixturePaths.NewScratch();
        try
        {
            Check(Gen.Select(TextMutations(config), Mutations(weights), Gen.Bool), x =>
            {
                var (t, w, mutateWeights) = x;
                File.WriteAllText(Path.Combine(dir, PeftAdapter.ConfigFileName), t);
                File.WriteAllBytes(Path.Combine(dir, PeftAdapter.WeightsFileName), mutateWeights ? w : weights);
                PeftAdapter.Load(dir);
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void NoiseProfileParse_MutatedProfile_SuccessOrUserError()
    {
        var seed = NoiseProfileJson.Serialize(NoiseProfileJsonTests.Sample());
        Check(TextMutations(seed), t => NoiseProfileJson.Parse(t, "p.json"));
    }

    [Test]
    public void CliNumericFlags_AnyText_ParsedOrRefusedInWords()
    {
        var root = CliApp.BuildRoot();
        var value = Gen.OneOf(Gen.String, Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Double.Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)), Pick("NaN", "-Infinity", "1e999", "-0", "0x10", "", "--", "9223372036854775808"));
        var flag = Pick(
            ["simulate", "--prompt"], ["simulate", "--batch"], ["simulate", "--generate"], ["infer", "--seed"], ["infer", "--sigma"],
            ["noise-profile", "--probe-tokens"], ["sweep", "--jobs"], ["accuracy", "--seeds"], new[] { "simulate", "--lora-rank" });
        Gen.Select(flag, value).Sample((f, v) =>
        {
            var parse = root.Parse([f[0], f[1], v]);
            foreach (var e in parse.Errors)
                if (e.Message.Contains("System.", StringComparison.Ordinal) && CimSim.Common.Cli.CliRunner.Describe(e.Message).Contains("System.", StringComparison.Ordinal))
                    throw new InvalidOperationException("error names a .NET type: " + e.Message);
        }, iter: 500, threads: 1);
    }

    [Test]
    public void ValidateOverride_RandomValuesForRealKeys_Exit0Or2()
    {
        var keys = ConfigSchema.AllKeys.Where(k => !ConfigSchema.IsSection(k.Property.PropertyType)).Select(k => k.Path).ToArray();
        var value = Gen.OneOf(Gen.Double.Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)), Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Pick("[1, 2]", "{a: 1}", "NaN", ".inf", "-.inf", "1e308", "true", "x", "&a [*a]", "", "1GiB", "0x7fffffff"));
        Gen.Select(Pick(keys), value).Sample((k, v) =>
        {
            var bad = Outcome(() => HardwareConfigLoader.ApplyOverrides(new HardwareSpec(), [$"{k}={v}"]));
            if (bad is not null) throw new InvalidOperationException($"-p {k}={v}: {bad}");
        }, iter: 400, threads: 1);
    }
}
