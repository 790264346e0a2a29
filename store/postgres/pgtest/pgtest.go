// Package pgtest starts a throwaway PostgreSQL cluster for tests: initdb
// and pg_ctl in a temporary directory, listening on a free loopback port,
// removed when the tests end. No Docker and no running server are needed,
// only the server binaries (Debian's postgresql package).
//
// A test package calls Main from its TestMain and DSN from each test, which
// gets a database of its own. When the binaries are missing the tests are
// skipped, unless SMSGW_REQUIRE_POSTGRES is set (the test script sets it
// after installing PostgreSQL): then they fail.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv makes missing PostgreSQL binaries a failure instead of a skip.
const RequireEnv = "SMSGW_REQUIRE_POSTGRES"

var (
	once    sync.Once
	cluster *Cluster
	err     error
	dbs     atomic.Int64
)

// Cluster is a running throwaway cluster.
type Cluster struct {
	dir  string // data directory and socket directory live under it
	bin  string // directory of initdb, pg_ctl, postgres
	port int
	as   []string // the command prefix that runs a program as the cluster's owner
	log  string
}

// Main runs the tests of m and stops the cluster if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// DSN returns the address of a new, empty database in this test binary's
// cluster (started on the first call), dropped when t ends.
func DSN(t testing.TB) string {
	t.Helper()
	c := Shared(t)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbs.Add(1))
	if err := c.exec(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: %v", err)
		}
	})
	return c.DSNFor(name)
}

// Shared returns this test binary's cluster, starting it on the first call.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	once.Do(func() { cluster, err = Start() })
	if errors.Is(err, errNoBinaries) && os.Getenv(RequireEnv) == "" {
		t.Skipf("pgtest: %v (set %s to make this a failure)", err, RequireEnv)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return cluster
}

// DSNFor returns the address of database name in the cluster.
func (c *Cluster) DSNFor(name string) string {
	return fmt.Sprintf("postgres://smsgw@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

var errNoBinaries = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found")

// Start creates and starts a cluster in a new temporary directory. Run as
// root, it runs the server as the postgres user (initdb refuses root).
func Start() (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "smsgw-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin, log: filepath.Join(dir, "server.log")}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs a postgres user to own the cluster: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.as = []string{"runuser", "-u", "postgres", "--"}
	}
	if c.port, err = freePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "smsgw", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// Durability settings are for the tests' speed: a crashed test cluster
	// is thrown away.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", c.port, dir)
	if out, err := c.run("pg_ctl", "-D", data, "-l", c.log, "-o", opts, "-w", "-t", "60", "start"); err != nil {
		logText, _ := os.ReadFile(c.log)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, logText)
	}
	return c, nil
}

// Stop stops the cluster and removes its directory.
func (c *Cluster) Stop() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		err = fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	cmd := append(append([]string{}, c.as...), filepath.Join(c.bin, prog))
	cmd = append(cmd, args...)
	x := exec.Command(cmd[0], cmd[1:]...)
	x.Dir = c.dir
	return x.CombinedOutput()
}

// exec runs one statement in the cluster's postgres database.
func (c *Cluster) exec(ctx context.Context, stmt string) error {
	conn, err := pgx.Connect(ctx, c.DSNFor("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, stmt)
	return err
}

// findBin finds the directory of initdb and pg_ctl: the newest
// /usr/lib/postgresql/N/bin (Debian), else the PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		p, _ = filepath.EvalSymlinks(p)
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	return "", errNoBinaries
}

func version(dir string) int {
	n, _ := strconv.Atoi(strings.Split(strings.TrimPrefix(dir, "/usr/lib/postgresql/"), "/")[0])
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
