"""What nncomp needs from the operating system: safe output files, signals, the allocator, the
CPU's identity and a guarded torch import. Imports nothing else of nncomp."""
