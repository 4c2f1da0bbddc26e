// Command docstore runs FerretDB (a MongoDB wire-protocol server with its own
// SQLite storage) on a loopback address, for the tests and for
// CALLIN_DOCSTORE=1 scripts/run. It prints the server's MongoDB URI on one line
// once it accepts connections, and stops cleanly on SIGTERM or SIGINT.
//
// Usage: docstore -listen 127.0.0.1:PORT -dir DATA_DIR
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "loopback TCP address to listen on")
	dir := flag.String("dir", "", "folder for the SQLite files (created if missing)")
	level := flag.String("log-level", "error", "debug, info, warn or error")
	flag.Parse()
	if err := run(*listen, *dir, *level); err != nil {
		fmt.Fprintln(os.Stderr, "docstore:", err)
		os.Exit(1)
	}
}

// run starts FerretDB and blocks until a signal; it fails when the address is
// not loopback, the folder cannot be made, or FerretDB refuses to start.
func run(listen, dir, level string) error {
	if dir == "" {
		return fmt.Errorf("-dir is required")
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen %q: %v", listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: only a loopback address is allowed (FerretDB has no authentication here)", listen)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("-log-level %q: %v", level, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
		Logger:    logger,
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	fmt.Println(f.MongoDBURI())
	return f.Run(ctx)
}
