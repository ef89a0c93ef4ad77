// Package checker decides whether a history is valid. It knows nothing of
// where a history came from (it never imports impl/, systems/ or nemesis/),
// which is what lets `faultline check` re-check a stored run or a history
// recorded by another tool.
//
// Each property is a [Checker] that returns a three-valued [Result]
// ([Valid], [Invalid], [Unknown]); a checker that runs out of time says
// Unknown, never Valid. [Merge] combines verdicts: any invalid makes the run
// invalid, otherwise any unknown makes it unknown.
package checker
