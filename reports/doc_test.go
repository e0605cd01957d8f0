package reports

import "os"

// readDoc is the JSON summary's documentation.
func readDoc() (string, error) {
	b, err := os.ReadFile("JSON.md")
	return string(b), err
}
