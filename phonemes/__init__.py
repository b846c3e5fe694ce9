"""Audio in, timed phones out: loading, phone set, recognisers, aligners, visemes, file formats."""
