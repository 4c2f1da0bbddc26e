// Command tlogcheck checks what callin's transparency log publishes with
// others' code: golang.org/x/mod/sumdb/note and sumdb/tlog (pinned in
// go.mod), never callin's C.  The tests build it into the build tree.
//
//	tlogcheck checkpoint VKEY CPFILE              note.Open + parse; prints "<size> <base64 root>"
//	tlogcheck proof VKEY PROOFFILE RECEIPTFILE    tlog-proof of receipt.txt's entry (tlog.CheckRecord)
//	tlogcheck consistency VKEY OLD_CP NEW_CP LOGDIR  tlog.ProveTree + CheckTree over LOGDIR/tile
//	tlogcheck tiles VKEY LOGDIR                   every tile and bundle of LOGDIR/checkpoint's tree
//	tlogcheck cosig VKEY CPFILE                   a cosignature/v1 by the witness VKEY; prints its time
//	tlogcheck make DIR N [OLD]                    a log made by x/mod alone, for the C verifier
//
// VKEY is a verifier key or a file holding one.  Exit 0 when the check
// holds, 1 with a line on stderr when it does not, 2 on a usage error.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8

var entryRE = regexp.MustCompile(`^callin-log-entry-v1\nreceipt: sha256:[0-9a-f]{64}\n$`)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "checkpoint":
		need(args, 2)
		err = cmdCheckpoint(args[0], args[1])
	case "proof":
		need(args, 3)
		err = cmdProof(args[0], args[1], args[2])
	case "consistency":
		need(args, 4)
		err = cmdConsistency(args[0], args[1], args[2], args[3])
	case "tiles":
		need(args, 2)
		err = cmdTiles(args[0], args[1])
	case "cosig":
		need(args, 2)
		err = cmdCosig(args[0], args[1])
	case "make":
		if len(args) != 2 && len(args) != 3 {
			usage()
		}
		err = cmdMake(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tlogcheck %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tlogcheck checkpoint|proof|consistency|tiles|cosig|make ARGS (see the source)")
	os.Exit(2)
}

func need(args []string, n int) {
	if len(args) != n {
		usage()
	}
}

// readVkey takes a verifier key, or the name of a file holding one line.
func readVkey(s string) string {
	if strings.Count(s, "+") < 2 {
		if b, err := os.ReadFile(s); err == nil {
			return strings.TrimSuffix(string(b), "\n")
		}
	}
	return s
}

// checkpoint is a parsed C2SP tlog-checkpoint (x/mod's ParseTree only
// knows the Go checksum database's origin line).
type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func parseCheckpoint(text string) (checkpoint, error) {
	var c checkpoint
	lines := strings.SplitAfter(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return c, errors.New("checkpoint: not exactly three lines")
	}
	c.origin = strings.TrimSuffix(lines[0], "\n")
	n, err := strconv.ParseInt(strings.TrimSuffix(lines[1], "\n"), 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != strings.TrimSuffix(lines[1], "\n") {
		return c, errors.New("checkpoint: bad size")
	}
	h, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSuffix(lines[2], "\n"))
	if err != nil || len(h) != tlog.HashSize {
		return c, errors.New("checkpoint: bad root hash")
	}
	c.tree.N = n
	copy(c.tree.Hash[:], h)
	return c, nil
}

// openCheckpoint opens the signed checkpoint msg with the log's vkey and
// requires the origin to be the key's name.
func openCheckpoint(vkey string, msg []byte) (checkpoint, *note.Note, error) {
	v, err := note.NewVerifier(readVkey(vkey))
	if err != nil {
		return checkpoint{}, nil, fmt.Errorf("log key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return checkpoint{}, nil, err
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return c, nil, err
	}
	if c.origin != v.Name() {
		return c, nil, fmt.Errorf("checkpoint origin %q is not the key's name %q", c.origin, v.Name())
	}
	return c, n, nil
}

func openCheckpointFile(vkey, path string) (checkpoint, error) {
	msg, err := os.ReadFile(path)
	if err != nil {
		return checkpoint{}, err
	}
	c, _, err := openCheckpoint(vkey, msg)
	return c, err
}

func cmdCheckpoint(vkey, path string) error {
	c, err := openCheckpointFile(vkey, path)
	if err != nil {
		return err
	}
	fmt.Printf("%d %s\n", c.tree.N, base64.StdEncoding.EncodeToString(c.tree.Hash[:]))
	return nil
}

// entryOf is the log entry of the bytes of receipt.txt (DESIGN.md §9).
func entryOf(receipt []byte) []byte {
	return []byte(fmt.Sprintf("callin-log-entry-v1\nreceipt: sha256:%x\n", sha256.Sum256(receipt)))
}

// parseProof reads a c2sp.org/tlog-proof@v1 file.
func parseProof(b []byte) (index int64, proof tlog.RecordProof, cp []byte, err error) {
	rest, ok := bytes.CutPrefix(b, []byte("c2sp.org/tlog-proof@v1\n"))
	if !ok {
		return 0, nil, nil, errors.New("proof: no c2sp.org/tlog-proof@v1 header")
	}
	line := func() (string, bool) {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return "", false
		}
		l := string(rest[:i])
		rest = rest[i+1:]
		return l, true
	}
	l, ok := line()
	if ok && strings.HasPrefix(l, "extra ") {
		if _, err := base64.StdEncoding.Strict().DecodeString(l[6:]); err != nil {
			return 0, nil, nil, errors.New("proof: bad extra line")
		}
		l, ok = line()
	}
	s, found := strings.CutPrefix(l, "index ")
	if !ok || !found {
		return 0, nil, nil, errors.New("proof: no index line")
	}
	index, err = strconv.ParseInt(s, 10, 64)
	if err != nil || index < 0 || strconv.FormatInt(index, 10) != s {
		return 0, nil, nil, errors.New("proof: bad index")
	}
	for {
		l, ok = line()
		if !ok {
			return 0, nil, nil, errors.New("proof: no blank line before the checkpoint")
		}
		if l == "" {
			break
		}
		h, err := base64.StdEncoding.Strict().DecodeString(l)
		if err != nil || len(h) != tlog.HashSize {
			return 0, nil, nil, errors.New("proof: bad hash line")
		}
		var hh tlog.Hash
		copy(hh[:], h)
		proof = append(proof, hh)
	}
	return index, proof, rest, nil
}

func cmdProof(vkey, proofPath, receiptPath string) error {
	b, err := os.ReadFile(proofPath)
	if err != nil {
		return err
	}
	receipt, err := os.ReadFile(receiptPath)
	if err != nil {
		return err
	}
	index, proof, cp, err := parseProof(b)
	if err != nil {
		return err
	}
	c, _, err := openCheckpoint(vkey, cp)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(proof, c.tree.N, c.tree.Hash, index, tlog.RecordHash(entryOf(receipt))); err != nil {
		return fmt.Errorf("record %d in the tree of size %d: %v", index, c.tree.N, err)
	}
	fmt.Printf("%d %d\n", index, c.tree.N)
	return nil
}

// dirTiles reads C2SP tiles (tile/<L>/<N>[.p/<W>]) from a log directory.
type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return tileHeight }

// c2spPath turns x/mod's tile path (tile/8/<L>/..., tile/8/data/...) into
// the C2SP one (tile/<L>/..., tile/entries/...).
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
	if rest, ok := strings.CutPrefix(p, "data/"); ok {
		return "tile/entries/" + rest
	}
	return "tile/" + p
}

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func cmdConsistency(vkey, oldPath, newPath, dir string) error {
	o, err := openCheckpointFile(vkey, oldPath)
	if err != nil {
		return fmt.Errorf("old checkpoint: %v", err)
	}
	n, err := openCheckpointFile(vkey, newPath)
	if err != nil {
		return fmt.Errorf("new checkpoint: %v", err)
	}
	if o.tree.N > n.tree.N {
		return fmt.Errorf("old size %d is larger than new size %d", o.tree.N, n.tree.N)
	}
	if o.tree.N == 0 {
		if o.tree.Hash != tlog.Hash(sha256.Sum256(nil)) {
			return errors.New("old checkpoint: not the empty tree's hash")
		}
		fmt.Printf("0 %d\n", n.tree.N)
		return nil
	}
	hr := tlog.TileHashReader(n.tree, dirTiles{dir})
	p, err := tlog.ProveTree(n.tree.N, o.tree.N, hr)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(p, n.tree.N, n.tree.Hash, o.tree.N, o.tree.Hash); err != nil {
		return fmt.Errorf("size %d is not a prefix of size %d: %v", o.tree.N, n.tree.N, err)
	}
	h, err := tlog.TreeHash(o.tree.N, hr)
	if err != nil || h != o.tree.Hash {
		return fmt.Errorf("the tiles do not give the old root (%v)", err)
	}
	fmt.Printf("%d %d\n", o.tree.N, n.tree.N)
	return nil
}

// memHashes is an x/mod hash store in memory.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

func (m *memHashes) add(entry []byte) error {
	hs, err := tlog.StoredHashes(m.records(), entry, *m)
	if err != nil {
		return err
	}
	*m = append(*m, hs...)
	return nil
}

// records is how many records the stored hashes hold.
func (m memHashes) records() int64 {
	lo, hi := int64(0), int64(len(m))+1
	for lo < hi { // the n with StoredHashCount(n) == len(m)
		mid := (lo + hi) / 2
		if tlog.StoredHashCount(mid) < int64(len(m)) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func cmdTiles(vkey, dir string) error {
	c, err := openCheckpointFile(vkey, filepath.Join(dir, "checkpoint"))
	if err != nil {
		return err
	}
	// The entries from the bundles, rebuilt into a tree by x/mod.
	var hashes memHashes
	n := c.tree.N
	for k := int64(0); k*256 < n; k++ {
		w := n - k*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: tileHeight, L: -1, N: k, W: int(w)}
		b, err := os.ReadFile(filepath.Join(dir, c2spPath(t)))
		if err != nil {
			return err
		}
		for i := int64(0); i < w; i++ {
			if len(b) < 2 {
				return fmt.Errorf("%s: entry %d missing", c2spPath(t), i)
			}
			l := int(binary.BigEndian.Uint16(b))
			if len(b) < 2+l {
				return fmt.Errorf("%s: entry %d cut short", c2spPath(t), i)
			}
			e := b[2 : 2+l]
			if !entryRE.Match(e) {
				return fmt.Errorf("%s: entry %d is not a callin-log-entry-v1", c2spPath(t), i)
			}
			if err := hashes.add(e); err != nil {
				return err
			}
			b = b[2+l:]
		}
		if len(b) != 0 {
			return fmt.Errorf("%s: %d bytes after its %d entries", c2spPath(t), len(b), w)
		}
	}
	root, err := tlog.TreeHash(n, hashes)
	if err != nil {
		return err
	}
	if root != c.tree.Hash {
		return fmt.Errorf("the entries' root %v is not the checkpoint's %v", root, c.tree.Hash)
	}
	// Every hash tile of the tree, byte for byte.
	ntiles := 0
	for _, t := range tlog.NewTiles(tileHeight, 0, n) {
		want, err := tlog.ReadTileData(t, hashes)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(dir, c2spPath(t)))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s does not hold the tree's hashes", c2spPath(t))
		}
		ntiles++
	}
	// And the tiles alone authenticate to the root (as a client reads them).
	hr := tlog.TileHashReader(c.tree, dirTiles{dir})
	if n > 0 {
		if _, err := tlog.ProveRecord(n, n-1, hr); err != nil {
			return err
		}
	}
	fmt.Printf("%d entries, %d tiles\n", n, ntiles)
	return nil
}

// cosigVerifier checks c2sp.org/tlog-cosignature cosignature/v1 lines
// (type 0x04), which x/mod's note does not know.
type cosigVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
	time *uint64
}

func (v cosigVerifier) Name() string    { return v.name }
func (v cosigVerifier) KeyHash() uint32 { return v.hash }
func (v cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	m := fmt.Sprintf("cosignature/v1\ntime %d\n%s", t, msg)
	if !ed25519.Verify(v.key, []byte(m), sig[8:]) {
		return false
	}
	*v.time = t
	return true
}

func newCosigVerifier(vkey string) (cosigVerifier, error) {
	var v cosigVerifier
	name, rest, ok1 := strings.Cut(vkey, "+")
	hexID, b64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || name == "" {
		return v, errors.New("witness key: not name+id+key")
	}
	k, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(k) != 33 || k[0] != 0x04 {
		return v, errors.New("witness key: not a cosignature/v1 (0x04) Ed25519 key")
	}
	id, err := strconv.ParseUint(hexID, 16, 32)
	h := sha256.Sum256(append([]byte(name+"\n"), k...))
	if err != nil || len(hexID) != 8 || uint32(id) != binary.BigEndian.Uint32(h[:4]) {
		return v, errors.New("witness key: key ID does not match")
	}
	v.name, v.hash, v.key, v.time = name, uint32(id), ed25519.PublicKey(k[1:]), new(uint64)
	return v, nil
}

func cmdCosig(vkey, path string) error {
	v, err := newCosigVerifier(readVkey(vkey))
	if err != nil {
		return err
	}
	msg, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return err
	}
	if _, err := parseCheckpoint(n.Text); err != nil {
		return err
	}
	fmt.Printf("%d\n", *v.time)
	return nil
}

// cmdMake writes, with x/mod alone, a log of N receipts into DIR:
// log.vkey, receipts/<i>.txt, checkpoint, proofs/<i>.tlog-proof, and with
// OLD also checkpoint.old (size OLD) and consistency (ProveTree, one
// base64 hash a line).
func cmdMake(args []string) error {
	dir := args[0]
	n, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || n < 1 {
		usage()
	}
	old := int64(0)
	if len(args) == 3 {
		if old, err = strconv.ParseInt(args[2], 10, 64); err != nil || old < 1 || old > n {
			usage()
		}
	}
	skey, vkey, err := note.GenerateKey(nil, "go.example/tlogcheck")
	if err != nil {
		return err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return err
	}
	for _, d := range []string{"receipts", "proofs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	write := func(name string, b []byte) error {
		return os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	var hashes memHashes
	sign := func(size int64) ([]byte, error) {
		root, err := tlog.TreeHash(size, hashes)
		if err != nil {
			return nil, err
		}
		text := fmt.Sprintf("go.example/tlogcheck\n%d\n%s\n", size, base64.StdEncoding.EncodeToString(root[:]))
		return note.Sign(&note.Note{Text: text}, signer)
	}
	var oldCP []byte
	for i := int64(0); i < n; i++ {
		r := []byte(fmt.Sprintf("callin-receipt-v1\nreference: GO-%d\n", i))
		if err := write(fmt.Sprintf("receipts/%d.txt", i), r); err != nil {
			return err
		}
		if err := hashes.add(entryOf(r)); err != nil {
			return err
		}
		if i+1 == old {
			if oldCP, err = sign(old); err != nil {
				return err
			}
		}
	}
	cp, err := sign(n)
	if err != nil {
		return err
	}
	for i := int64(0); i < n; i++ {
		p, err := tlog.ProveRecord(n, i, hashes)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "c2sp.org/tlog-proof@v1\nindex %d\n", i)
		for _, h := range p {
			fmt.Fprintf(&b, "%s\n", base64.StdEncoding.EncodeToString(h[:]))
		}
		b.WriteString("\n")
		b.Write(cp)
		if err := write(fmt.Sprintf("proofs/%d.tlog-proof", i), b.Bytes()); err != nil {
			return err
		}
	}
	if err := write("log.vkey", []byte(vkey+"\n")); err != nil {
		return err
	}
	if err := write("checkpoint", cp); err != nil {
		return err
	}
	if old > 0 {
		p, err := tlog.ProveTree(n, old, hashes)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		for _, h := range p {
			fmt.Fprintf(&b, "%s\n", base64.StdEncoding.EncodeToString(h[:]))
		}
		if err := write("consistency", b.Bytes()); err != nil {
			return err
		}
		if err := write("checkpoint.old", oldCP); err != nil {
			return err
		}
	}
	return nil
}
