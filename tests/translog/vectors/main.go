// Test vectors and an outside client for CrossTrust's transparency log, made with Go's own
// golang.org/x/mod/sumdb/tlog and golang.org/x/mod/sumdb/note (unmodified), so that the Python
// implementation is checked against code nobody on the project wrote.
//
//	go run . gen > vectors.json          tree hashes, proofs, tile digests and a signed note
//	go run . verify-note VKEY FILE       open a signed note with note.Open; prints its text
//	go run . cosign SKEY FILE            cosign the signed note FILE as a witness (cosignature/v1,
//	                                     transparency-dev/formats' note.NewSignerForCosignatureV1,
//	                                     unmodified); prints the cosignature line
//	go run . verify-cosig VKEY FILE      open FILE with note.Open and the cosignature/v1 verifier of
//	                                     VKEY (formats' NewVerifierForCosignatureV1); prints the
//	                                     cosignature's time (POSIX seconds)
//	go run . client BASEURL VKEY INDEX [OLDSIZE]
//	                                     read /checkpoint and the tiles of a served log with
//	                                     tlog.TileHashReader; prove and check the inclusion of the
//	                                     entry INDEX (its bytes from the entry bundle) and, given
//	                                     OLDSIZE, the consistency of that size's tree with the
//	                                     checkpoint's; prints a JSON report
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	name   = "crosstrust.test/tlog"
	height = 8
)

func leaf(i int64) []byte { return []byte(fmt.Sprintf(`{"leaf":%d,"zh":"第%d条"}`, i, i)) }

type memory struct{ hashes []tlog.Hash }

func (m *memory) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = m.hashes[x]
	}
	return out, nil
}

func build(n int64) *memory {
	m := &memory{}
	for i := int64(0); i < n; i++ {
		hs, err := tlog.StoredHashes(i, leaf(i), m)
		check(err)
		m.hashes = append(m.hashes, hs...)
	}
	return m
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func b64s(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = b64(h)
	}
	return out
}

// The C2SP path of a tile: Go's path without its height ("tile/8/0/x001/234" -> "tile/0/x001/234").
func c2spPath(t tlog.Tile) string {
	return strings.Replace(t.Path(), fmt.Sprintf("tile/%d/", t.H), "tile/", 1)
}

type inclusion struct {
	Size  int64    `json:"size"`
	Index int64    `json:"index"`
	Proof []string `json:"proof"`
}

type consistency struct {
	Old   int64    `json:"old"`
	New   int64    `json:"new"`
	Proof []string `json:"proof"`
}

func gen() {
	const big = 70000
	m := build(big)
	out := map[string]any{"leaf_format": `{"leaf":%d,"zh":"第%d条"}`, "name": name}
	var leaves []string
	for i := int64(0); i < 40; i++ {
		leaves = append(leaves, b64(tlog.RecordHash(leaf(i))))
	}
	out["leaf_hashes"] = leaves
	roots := map[string]string{}
	for _, n := range []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 255, 256, 257, 1000, 65535, 65536, 65537, big} {
		h, err := tlog.TreeHash(n, m)
		check(err)
		roots[strconv.FormatInt(n, 10)] = b64(h)
	}
	out["roots"] = roots
	var inc []inclusion
	var con []consistency
	sizes := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 24}
	for _, t := range sizes {
		for n := int64(0); n < t; n++ {
			p, err := tlog.ProveRecord(t, n, m)
			check(err)
			inc = append(inc, inclusion{t, n, b64s(p)})
		}
		for n := int64(1); n <= t; n++ {
			p, err := tlog.ProveTree(t, n, m)
			check(err)
			con = append(con, consistency{n, t, b64s(p)})
		}
	}
	for _, pair := range [][2]int64{{big, 0}, {big, 12345}, {big, 65535}, {big, 65536}, {big, big - 1}, {65537, 300}} {
		p, err := tlog.ProveRecord(pair[0], pair[1], m)
		check(err)
		inc = append(inc, inclusion{pair[0], pair[1], b64s(p)})
	}
	for _, pair := range [][2]int64{{big, 1}, {big, 256}, {big, 1000}, {big, 65536}, {big, 65537}, {65537, 65536}} {
		p, err := tlog.ProveTree(pair[0], pair[1], m)
		check(err)
		con = append(con, consistency{pair[1], pair[0], b64s(p)})
	}
	out["inclusion"] = inc
	out["consistency"] = con
	// Every tile of the trees of 300 and of 70000 leaves: path -> SHA-256 of its bytes.
	tiles := map[string]map[string]string{}
	for _, n := range []int64{300, big} {
		got := map[string]string{}
		for _, t := range tlog.NewTiles(height, 0, n) {
			data, err := tlog.ReadTileData(t, m)
			check(err)
			sum := sha256.Sum256(data)
			got[c2spPath(t)] = hex.EncodeToString(sum[:])
		}
		tiles[strconv.FormatInt(n, 10)] = got
	}
	out["tiles"] = tiles
	// A signed checkpoint (c2sp.org/tlog-checkpoint) of the big tree, from a fixed Ed25519 seed.
	seed := sha256.Sum256([]byte("crosstrust test vector key"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	vkey, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	check(err)
	parts := strings.Split(vkey, "+")
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%s+%s", name, parts[1],
		base64.StdEncoding.EncodeToString(append([]byte{1}, seed[:]...)))
	signer, err := note.NewSigner(skey)
	check(err)
	root, err := tlog.TreeHash(big, m)
	check(err)
	text := fmt.Sprintf("%s\n%d\n%s\n", name, big, b64(root))
	signed, err := note.Sign(&note.Note{Text: text}, signer)
	check(err)
	out["note"] = map[string]string{
		"seed_b64": base64.StdEncoding.EncodeToString(seed[:]), "vkey": vkey, "text": text, "signed": string(signed),
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	check(enc.Encode(out))
}

func verifyNote(vkey, file string) {
	v, err := note.NewVerifier(vkey)
	check(err)
	msg, err := os.ReadFile(file)
	check(err)
	n, err := note.Open(msg, note.VerifierList(v))
	check(err)
	fmt.Print(n.Text)
}

func cosign(skey, file string) {
	s, err := fnote.NewSignerForCosignatureV1(skey)
	check(err)
	msg, err := os.ReadFile(file)
	check(err)
	n, err := note.Open(msg, note.VerifierList(s.Verifier()))
	if _, ok := err.(*note.UnverifiedNoteError); ok {
		n = err.(*note.UnverifiedNoteError).Note
	} else {
		check(err)
	}
	signed, err := note.Sign(&note.Note{Text: n.Text}, s)
	check(err)
	fmt.Print(string(signed[len(n.Text)+1:]))
}

func verifyCosig(vkey, file string) {
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	check(err)
	msg, err := os.ReadFile(file)
	check(err)
	n, err := note.Open(msg, note.VerifierList(v))
	check(err)
	t, err := fnote.CoSigV1Timestamp(n.Sigs[0])
	check(err)
	fmt.Println(t.Unix())
}

// What a tile client does: fetch tiles by their C2SP paths, over HTTP.
type httpTiles struct{ base string }

func (h httpTiles) Height() int { return height }

func (h httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := get(h.base + "/" + c2spPath(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (h httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func get(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, nil
}

// The entry bundle holding entry `index` in a tree of `size`: big-endian uint16 length-prefixed entries.
func entry(base string, index, size int64) []byte {
	n := index / 256
	w := size - n*256
	if w > 256 {
		w = 256
	}
	path := strings.Replace(c2spPath(tlog.Tile{H: height, L: 0, N: n, W: int(w)}), "tile/0/", "tile/entries/", 1)
	data, err := get(base + "/" + path)
	check(err)
	for i := int64(0); ; i++ {
		if len(data) < 2 {
			check(fmt.Errorf("entry %d not in bundle %s", index, path))
		}
		l := int(binary.BigEndian.Uint16(data))
		if i == index%256 {
			return data[2 : 2+l]
		}
		data = data[2+l:]
	}
}

func client(base, vkey string, index int64, old int64) {
	base = strings.TrimRight(base, "/")
	v, err := note.NewVerifier(vkey)
	check(err)
	msg, err := get(base + "/checkpoint")
	check(err)
	n, err := note.Open(msg, note.VerifierList(v))
	check(err)
	lines := strings.SplitN(n.Text, "\n", 4)
	size, err := strconv.ParseInt(lines[1], 10, 64)
	check(err)
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	check(err)
	var root tlog.Hash
	copy(root[:], rootBytes)
	tree := tlog.Tree{N: size, Hash: root}
	reader := tlog.TileHashReader(tree, httpTiles{base})
	data := entry(base, index, size)
	proof, err := tlog.ProveRecord(size, index, reader)
	check(err)
	check(tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(data)))
	report := map[string]any{"origin": lines[0], "size": size, "root": lines[2], "index": index, "entry": string(data), "inclusion": "ok"}
	if old > 0 {
		oldHash, err := tlog.TreeHash(old, reader)
		check(err)
		tp, err := tlog.ProveTree(size, old, reader)
		check(err)
		check(tlog.CheckTree(tp, size, root, old, oldHash))
		report["old_size"] = old
		report["old_root"] = b64(oldHash)
		report["consistency"] = "ok"
	}
	check(json.NewEncoder(os.Stdout).Encode(report))
}

func main() {
	args := os.Args[1:]
	switch {
	case len(args) == 1 && args[0] == "gen":
		gen()
	case len(args) == 3 && args[0] == "verify-note":
		verifyNote(args[1], args[2])
	case len(args) == 3 && args[0] == "cosign":
		cosign(args[1], args[2])
	case len(args) == 3 && args[0] == "verify-cosig":
		verifyCosig(args[1], args[2])
	case (len(args) == 4 || len(args) == 5) && args[0] == "client":
		index, err := strconv.ParseInt(args[3], 10, 64)
		check(err)
		var old int64
		if len(args) == 5 {
			old, err = strconv.ParseInt(args[4], 10, 64)
			check(err)
		}
		client(args[1], args[2], index, old)
	default:
		fmt.Fprintln(os.Stderr, "usage: gen | verify-note VKEY FILE | cosign SKEY FILE | verify-cosig VKEY FILE | client BASEURL VKEY INDEX [OLDSIZE]")
		os.Exit(2)
	}
}
