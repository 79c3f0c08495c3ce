Console.Error.WriteLine("cimsim-train: the command line lands with the safetensors reader");
return 1;
