//go:build race

package similarity

// raceEnabled: the race detector makes the brute-force references ~30x slower; the largest cases are left to
// the normal run (scripts/test.sh runs both).
const raceEnabled = true
