package main

import (
	"os"
	"testing"

	"github.com/smsgw/smsgw/store/postgres/pgtest"
)

// TestMain stops the throwaway PostgreSQL cluster, if a test started one.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
