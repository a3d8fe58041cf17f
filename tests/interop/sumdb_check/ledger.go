package main

// A ledger database checked without SecuraMem's code: the test dumps it with the sqlite3
// command-line tool (Debian's sqlite3) into DUMP_DIR as three JSON files (`sqlite3 -json`):
//
//	meta.json         SELECT key, value FROM meta
//	records.json      SELECT leaf, lower(hex(self_hash)) AS self_hash, CAST(body AS TEXT) AS body
//	                  FROM records UNION ALL (the same) FROM recent ORDER BY leaf
//	checkpoints.json  SELECT size, note FROM checkpoints ORDER BY size
//
// and this checks what docs/FORMAT.md §8 says verify checks of the stored truth: leaves 0…n−1
// each present once, each body in canonical form hashing to its self_hash, every chain link, and
// every stored checkpoint signed by a trusted key over the root of the tree of that size. The
// records and checkpoints go through the bundle checker's code (bundle.go), as one range from leaf
// 0 with a checkpoint wherever one was stored.

import (
	"encoding/json"
	"os"
	"path/filepath"
)

type ledgerRecordRow struct {
	Leaf     int64  `json:"leaf"`
	SelfHash string `json:"self_hash"`
	Body     string `json:"body"`
}

type ledgerCheckpointRow struct {
	Size int64  `json:"size"`
	Note string `json:"note"`
}

func ledgerCommand(vkeys, dumpDir string) error {
	var meta []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	var records []ledgerRecordRow
	var checkpoints []ledgerCheckpointRow
	for name, into := range map[string]interface{}{
		"meta.json": &meta, "records.json": &records, "checkpoints.json": &checkpoints,
	} {
		if err := readDump(filepath.Join(dumpDir, name), into); err != nil {
			return err
		}
	}
	header := bundleHeader{From: 0, To: int64(len(records)), Size: -1}
	for _, row := range meta {
		switch row.Key {
		case "origin":
			header.Origin = row.Value
		case "alg":
			header.Alg = row.Value
		}
	}
	hash, err := hashFor(header.Alg)
	if err != nil {
		return err
	}
	windows, err := trustedWindows(vkeys)
	if err != nil {
		return err
	}
	c := &bundleChecker{stage: "records", header: header, hash: hash, windows: windows, chains: map[[2]string]chainHead{}}
	next := 0
	checkpointsAt := func(size int64) error {
		for ; next < len(checkpoints) && checkpoints[next].Size == size; next++ {
			if err := c.checkCheckpoint(checkpoints[next].Note); err != nil {
				return err
			}
		}
		return nil
	}
	for i, row := range records {
		if row.Leaf != int64(i) {
			return fail("leaf %d: the next stored leaf is %d", i, row.Leaf)
		}
		if err := checkpointsAt(int64(i)); err != nil {
			return err
		}
		if len(row.Body) == 0 {
			return fail("leaf %d: empty body", i)
		}
		sealed := row.Body[:len(row.Body)-1] + `,"self_hash":"` + header.Alg + ":" + row.SelfHash + `"}`
		if err := c.readRecord(sealed); err != nil {
			return err
		}
	}
	if err := checkpointsAt(int64(len(records))); err != nil {
		return err
	}
	if next < len(checkpoints) {
		return fail("a checkpoint of size %d is stored beyond the log's %d leaves", checkpoints[next].Size, len(records))
	}
	// Every commit stores the checkpoint of its new size, so the newest one covers every record.
	if newest := newestSize(checkpoints); newest < int64(len(records)) {
		return fail("leaf %d: no stored checkpoint covers it (the newest is of size %d)", newest, newest)
	}
	root := c.root()
	printJSON(map[string]interface{}{
		"origin": header.Origin, "size": c.size, "records": c.records, "checkpoints": c.checkpoints,
		"chains": len(c.chains), "root": root[:],
	})
	return nil
}

// readDump decodes one `sqlite3 -json` output file; sqlite3 prints nothing for no rows.
func readDump(path string, into interface{}) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fail("%s: %v", filepath.Base(path), err)
	}
	return nil
}

func newestSize(checkpoints []ledgerCheckpointRow) int64 {
	if len(checkpoints) == 0 {
		return -1
	}
	return checkpoints[len(checkpoints)-1].Size
}
