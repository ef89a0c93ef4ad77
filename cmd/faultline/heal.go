package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/nemesis"
)

func newHealCmd(stdout, _ io.Writer) *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "heal --toxiproxy URL",
		Short: "Remove every toxic and re-enable every proxy on an external Toxiproxy",
		Long: "Heal undoes what a crashed run may have left on an external Toxiproxy: it removes every toxic\n" +
			"from every proxy and re-enables every disabled proxy (all proxies, not only Faultline's).",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				return fmt.Errorf("%w: --toxiproxy URL is required (for example http://127.0.0.1:8474)", history.ErrBadConfig)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			if err := nemesis.HealExternal(ctx, url); err != nil {
				return fmt.Errorf("%w: %w", history.ErrBadConfig, err)
			}
			fmt.Fprintf(stdout, "healed: every toxic removed and every proxy enabled on %s\n", url)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "toxiproxy", "", "URL of the Toxiproxy to heal")
	return cmd
}
