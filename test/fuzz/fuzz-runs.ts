// How long the fuzz tests run: a few seconds' worth in the unit suite, FUZZ_RUNS cases each under `npm run fuzz`
// (which sets it; docs/RELIABILITY.md, "Fuzzing"). FUZZ_SEED replays a failure fast-check reported.

export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 60);
export const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
