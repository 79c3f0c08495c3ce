namespace CimSim.Training.Data;

/// <summary>One tokenised example: the prompt (not scored) followed by the target (scored).</summary>
public sealed record TrainingExample(int[] Prompt, int[] Target)
{
    public int Length => Prompt.Length + Target.Length;
}
