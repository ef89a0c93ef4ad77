package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/nemesis"
)

// newToxiproxyCmd serves the real Toxiproxy server (toxiproxy/v2's own
// code) from the faultline binary, so that an image holding nothing but
// that binary can run Toxiproxy as a container.
func newToxiproxyCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		listen, config string
		verbose        bool
	)
	cmd := &cobra.Command{
		Use:   "toxiproxy [--listen ADDR] [--config FILE]",
		Short: "Serve a Toxiproxy server (the real toxiproxy/v2 code) until stopped",
		Long: "Toxiproxy serves the Toxiproxy HTTP API on --listen, as toxiproxy-server does, until it is\n" +
			"interrupted (Ctrl-C, SIGTERM). --config creates proxies at start from a toxiproxy-server JSON\n" +
			"config. A run points at it with --toxiproxy http://ADDR; in a container, listen on 0.0.0.0.",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger := newLogger(stderr, verbose)
			srv, err := nemesis.ListenServer(cmd.Context(), listen, logger)
			if err != nil {
				return fmt.Errorf("%w: %w; pick a free --listen address", history.ErrBadConfig, err)
			}
			defer srv.Close()
			if config != "" {
				f, err := os.Open(config)
				if err != nil {
					return fmt.Errorf("%w: %w", history.ErrBadConfig, err)
				}
				names, err := srv.Populate(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%w: %s: %w", history.ErrBadConfig, config, err)
				}
				fmt.Fprintf(stdout, "created %d proxies from %s\n", len(names), config)
			}
			fmt.Fprintf(stdout, "toxiproxy API on %s\n", srv.URL())
			<-cmd.Context().Done()
			fmt.Fprintln(stdout, "toxiproxy: stopping")
			return srv.Close()
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8474", "address of the HTTP API (0.0.0.0:8474 in a container)")
	cmd.Flags().StringVar(&config, "config", "", "toxiproxy-server JSON config of proxies to create at start")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log every proxy and toxic event")
	return cmd
}
