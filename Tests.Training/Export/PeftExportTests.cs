using CimSim.Training.Export;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;
using static TorchSharp.torch;

namespace CimSim.Training.Tests.Export;

public class PeftExportTests
{
    [Test]
    public void Save_ThenLoad_ReadsBackIdentically()
    {
        var dir = Directory.CreateTempSubdirectory("cimsim-peft").FullName;
        try
        {
            using var model = TinyModels.RandomModel(type: "qwen2");
            var lora = LoraSpec.FromFlags(4, "q,k,v,up,down", alpha: 16, dropout: 0.05);
            using var g = new Generator(4);
            model.AddLora(lora, g);
            using (no_grad())
            {
                foreach (var (_, p) in model.PeftParameters()) p.copy_(randn(p.shape, generator: g));
            }
            PeftExport.Save(model, dir, "tiny-qwen2");

            var back = PeftAdapter.Load(dir);
            Assert.That(LoraSpec.FromPeftConfig(dir), Is.EqualTo(lora));
            Assert.That(back.Modules.Count, Is.EqualTo(model.LoraModules().Count()));
            foreach (var (path, linear) in model.LoraModules())
            {
                var m = back.Modules[path];
                Assert.That(m.A, Is.EqualTo(linear.LoraA!.data<float>().ToArray()), path + " A");
                Assert.That(m.B, Is.EqualTo(linear.LoraB!.data<float>().ToArray()), path + " B");
                Assert.That(m.Scale, Is.EqualTo(lora.Scaling));
            }
            using var file = SafetensorsFile.Open(Path.Combine(dir, PeftAdapter.WeightsFileName));
            Assert.That(file.Names, Does.Contain("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
