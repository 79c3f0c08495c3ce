using System.Security.Cryptography;
using System.Text;

namespace CimSim.Common.Random;

/// <summary>
/// The one factory of random streams. Every random draw in CimSim comes from a stream derived from
/// (seed, purpose): the same seed and purpose give the same sequence on every run and machine, and streams
/// of different purposes (e.g. "programming-noise/model.layers.3.self_attn.q_proj") are independent, so
/// adding a draw in one component never shifts another's.
/// </summary>
public static class RandomStreams
{
    /// <summary>Derives a 64-bit stream seed from the run seed and a purpose string (SHA-256, stable).</summary>
    public static ulong DeriveSeed(ulong seed, string purpose)
    {
        Span<byte> input = stackalloc byte[8];
        BitConverter.TryWriteBytes(input, seed);
        var bytes = new byte[8 + Encoding.UTF8.GetByteCount(purpose)];
        input.CopyTo(bytes);
        Encoding.UTF8.GetBytes(purpose, 0, purpose.Length, bytes, 8);
        var hash = SHA256.HashData(bytes);
        return BitConverter.ToUInt64(hash, 0);
    }

    /// <summary>A seeded generator for one purpose. MathNet's Xoshiro256** keeps the sequence stable across .NET versions.</summary>
    public static System.Random Create(ulong seed, string purpose)
    {
        var derived = DeriveSeed(seed, purpose);
        // Xoshiro256StarStar takes an int seed; fold the 64-bit derived seed.
        return new MathNet.Numerics.Random.Xoshiro256StarStar((int)(derived ^ (derived >> 32)), threadSafe: false);
    }
}
