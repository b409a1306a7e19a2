// Package csvtest reads the CSV reports the tools write, for tests in any package.
package csvtest

import (
	"encoding/csv"
	"os"
	"testing"
)

// Read returns every row of the CSV file at path (header included); a file that cannot be read or parsed fails t.
func Read(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}
