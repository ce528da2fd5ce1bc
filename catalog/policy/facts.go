package policy

import (
	_ "embed"
	"encoding/json"
	"sync"
)

// FactsMap is the security facts card's data (facts.json): what each line
// says and the outcomes it evidences.
type FactsMap struct {
	Version     string               `json:"version"`
	Description string               `json:"description"`
	Sources     map[string]string    `json:"sources"`
	Lines       map[string]FactsLine `json:"lines"`
	Passwords   map[string]string    `json:"passwords"` // password_model -> words for shoppers
	Laws        map[string]string    `json:"laws"`      // market -> its baseline law
}

// FactsLine is one line of the card: its label and the ETSI EN 303 645
// provisions and NISTIR 8425 outcomes it evidences.
type FactsLine struct {
	Label  string   `json:"label"`
	ETSI   []string `json:"etsi"`
	NISTIR []string `json:"nistir"`
}

//go:embed facts.json
var factsDocument []byte

var facts = sync.OnceValues(func() (*FactsMap, error) {
	var m FactsMap
	err := json.Unmarshal(factsDocument, &m)
	return &m, err
})

// Facts returns the shipped facts map (a broken file fails the tests, not a shopper).
func Facts() *FactsMap {
	m, err := facts()
	if err != nil {
		panic("policy: facts.json: " + err.Error())
	}
	return m
}
