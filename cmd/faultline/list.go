package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/systems"
)

func newListCmd(stdout io.Writer, reg *systems.Registry) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the systems, their workloads, the faults they take and their bug catalogs",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			for _, s := range reg.All() {
				fmt.Fprintf(stdout, "system %s: %s\n", s.Name(), s.Describe())
				fmt.Fprintf(stdout, "  workloads: %s\n", strings.Join(s.Workloads(), ", "))
				fmt.Fprintf(stdout, "  faults:    %s\n", strings.Join(s.Faults(), ", "))
				if cat, ok := s.(systems.BugCatalog); ok {
					for _, b := range cat.Bugs() {
						fmt.Fprintf(stdout, "  bug %-21s %s (--bug %s; never on by default)\n", b.Name+":", b.Does, b.Name)
					}
				}
			}
			return nil
		},
	}
}
