package runner

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// The JUnit XML a CI server shows (Jenkins, GitLab, GitHub's test
// reporters): one suite for the campaign, one test case per run. A run
// whose verdict is not the one expected is a failure; one without a
// definite verdict (unknown, interrupted, a harness failure) an error; one
// that did not run is skipped.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string          `xml:"name,attr"`
	Tests     int             `xml:"tests,attr"`
	Failures  int             `xml:"failures,attr"`
	Errors    int             `xml:"errors,attr"`
	Skipped   int             `xml:"skipped,attr"`
	Time      string          `xml:"time,attr"`
	Timestamp string          `xml:"timestamp,attr"`
	Props     []junitProperty `xml:"properties>property,omitempty"`
	Cases     []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// JUnit is the report as JUnit XML.
func (r *CampaignReport) JUnit() ([]byte, error) {
	r.tally()
	seconds := func(d interface{ Seconds() float64 }) string { return fmt.Sprintf("%.3f", d.Seconds()) }
	suite := junitSuite{
		Name: r.Name, Tests: len(r.Cases), Failures: r.Counts.Failed, Errors: r.Counts.Unknown, Skipped: r.Counts.NotRun,
		Time: seconds(r.Elapsed), Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
		Props: []junitProperty{{"file", r.File}, {"digest", r.Digest}},
	}
	if r.Shard.N > 1 {
		suite.Props = append(suite.Props, junitProperty{"shard", r.Shard.String()})
	}
	for _, c := range r.Cases {
		jc := junitCase{Name: c.Name, Classname: c.Class, Time: seconds(c.Elapsed)}
		var out strings.Builder
		if c.Command != "" {
			fmt.Fprintf(&out, "reproduce: %s\n", c.Command)
		}
		if c.Dir != "" {
			fmt.Fprintf(&out, "results: %s\n", c.Dir)
		}
		if c.Verdict != "" {
			fmt.Fprintf(&out, "%s\n", c.Verdict)
		}
		jc.SystemOut = out.String()
		detail := strings.TrimSpace(c.Verdict + "\n" + c.Error + "\n" + "reproduce: " + c.Command)
		switch c.Outcome {
		case CaseFailed:
			jc.Failure = &junitMessage{Message: fmt.Sprintf("expected %s, the verdict is %s", c.Expect, c.Valid), Type: c.Valid.String(), Text: detail}
		case CaseUnknown:
			msg := "no definite verdict (unknown)"
			if c.Error != "" {
				msg = "the run failed: " + c.Error
			}
			jc.Error = &junitMessage{Message: msg, Type: "unknown", Text: detail}
		case CaseNotRun:
			jc.Skipped = &junitMessage{Message: "not run: the campaign stopped before it"}
		}
		suite.Cases = append(suite.Cases, jc)
	}
	doc := junitSuites{Name: r.Name, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Skipped: suite.Skipped,
		Time: suite.Time, Suites: []junitSuite{suite}}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}
