package verdicts

import (
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Stored verdicts keep their content hash: a hash computed differently
// for the same content would rewrite every stored verdict once (and, were
// it ever unstable, every night). These values were computed by the
// first implementation; a faster one must give the same.
func TestContentHashesStayWhatTheyWereWhenStored(t *testing.T) {
	v := policy.Verdict{Market: "UK", Channel: "retail", Verdict: "blocked",
		Reasons: []policy.Reason{
			{Code: "LABEL_MODEL_MISMATCH", Severity: "block", Field: "labels", Labels: []string{"SG-CLS:CSA/300629/00042"}},
			{Code: "RECALLED", Severity: "block", Recalls: []policy.RecallRef{{Authority: "CPSC", RecallNumber: "26-001", Match: "confirmed"}}},
			{Code: "RECALL_LIST_STALE", Severity: "warn", RecallLists: []string{"CPSC", "EU-SG"}},
		},
		Evidence: policy.Evidence{PolicyVersion: "2026-11-24.1", TierVersion: "2026-11-24.1",
			Labels:           []policy.LabelEvidence{{Scheme: "SG-CLS", LabelID: "CSA/300629/00042", Claimed: true, Status: "model_mismatch", Tier: 2, Stale: true, SnapshotID: 12}},
			Recalls:          []policy.RecallEvidence{{RecallRef: policy.RecallRef{Authority: "CPSC", RecallNumber: "26-001", Match: "confirmed"}, SnapshotID: 7}},
			StaleRecallLists: []policy.StaleRecallList{{List: "EU-SG", SnapshotID: 9}},
		}}
	allowed := policy.Verdict{Market: "EU", Channel: "procurement", Verdict: "allowed",
		Evidence: policy.Evidence{PolicyVersion: "2026-11-24.1", TierVersion: "2026-11-24.1"}}
	day := func(s string) civil.Date { d, _ := civil.Parse(s); return d }
	cases := []struct {
		name     string
		v        policy.Verdict
		outlook  policy.Outlook
		fp, hash string
	}{
		{"blocked, every kind of reason and evidence", v, policy.Outlook{NextCheck: day("2027-03-31")},
			"033406136281e013374a7f5590d047c13f3c90b8ce4c976156d27314ceac00d1", "16108108b1124053e7ea60c2780efe9db9fb1a01e98bd0998413189adbd827ea"},
		{"allowed, blocked on a date", allowed, policy.Outlook{NextCheck: day("2027-04-01"), BlocksOn: day("2027-06-30"), BlockCodes: []string{"SUPPORT_ENDED", "LABEL_EXPIRED"}},
			"bd1ef0e534a727f1843bae92559c85ff1e19f2281996d62cc9eccc6f9f26e19d", "a919d3c45cdbfb9f7d064cb57a012ca7b3bc26c1ff7249c106b3d9b6beefbda8"},
		{"allowed, nothing ahead", allowed, policy.Outlook{},
			"bd1ef0e534a727f1843bae92559c85ff1e19f2281996d62cc9eccc6f9f26e19d", "789c8f756b51ca84a42a3355974ce30168e674f0f7ece6fc3e76d93b912dcdc3"},
	}
	enc := newEncoder()
	for _, c := range cases {
		// An encoder gives the same hashes, the first time and from its
		// memory, and again after its memory was cleared.
		for i := range 2*maxEncodings + 3 {
			if fp, hash := enc.hash(c.v, c.outlook); fp != c.fp || hash != c.hash {
				t.Fatalf("%s, try %d: the encoder's hashes %s %s, stored %s %s", c.name, i, fp, hash, c.fp, c.hash)
			}
			if i%2 == 1 { // fill its memory with other outlooks
				enc.hash(c.v, policy.Outlook{NextCheck: civil.Of(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i))})
			}
		}
		if fp := fingerprint(c.v); fp != c.fp {
			t.Errorf("%s: fingerprint %s, stored %s", c.name, fp, c.fp)
		}
		if hash := withOutlook(c.fp, c.outlook); hash != c.hash {
			t.Errorf("%s: content hash %s, stored %s", c.name, hash, c.hash)
		}
	}
}
