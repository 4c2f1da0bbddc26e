//go:build tools

// Package tools pins the witness the tests run: torchwood's litewitness and
// witnessctl (go build filippo.io/torchwood/cmd/...), at the version go.mod
// names.
package tools

import (
	_ "filippo.io/torchwood/cmd/litewitness"
	_ "filippo.io/torchwood/cmd/witnessctl"
)
