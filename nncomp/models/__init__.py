"""The integer models of the predictor stack (numpy and numba, no torch): the match model, the
context statistics and the secondary estimation of the top symbol. Each is fed row by row, in
stream order, by the engine, so encoder and decoder compute the same integers."""
