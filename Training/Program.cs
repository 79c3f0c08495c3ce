Console.Error.WriteLine("cimsim-train: not implemented yet");
return 1;
