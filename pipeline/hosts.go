package pipeline

// Hosts: which hosts a point reads, trains on and scores, their names
// across data sources, and the view step's parameters.

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"botprof/stages/view"
)

// sourceName is what a data source may be called: it prefixes host names.
var sourceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

// canonicalHosts rewrites the hosts of a spec with a list of sources to
// name:address (a bare address means the only source's host). Hosts of the
// one-source mapping form are left as written.
func (s *Spec) canonicalHosts(v *validator) {
	srcs := s.Data.Sources
	if len(srcs) == 0 {
		return
	}
	canon := func(path, h string) string {
		if h == "" {
			return h
		}
		if name, addr, ok := strings.Cut(h, ":"); ok && slices.ContainsFunc(srcs, func(d DataSpec) bool { return d.Name == name }) {
			if addr == "" {
				v.fail(path, "host %q has no address after the source name", h)
			}
			return h
		}
		if len(srcs) == 1 {
			return srcs[0].Name + ":" + h
		}
		var names []string
		for _, d := range srcs {
			names = append(names, d.Name)
		}
		v.fail(path, "host %q: with several data sources write source:address (sources: %s)", h, strings.Join(names, ", "))
		return h
	}
	for i, h := range s.Hosts.Profile {
		s.Hosts.Profile[i] = canon(profilePath(s, i), h)
	}
	for i, h := range s.Hosts.Normal {
		s.Hosts.Normal[i] = canon(fmt.Sprintf("hosts.normal[%d]", i), h)
	}
	for i, h := range s.Hosts.Infected {
		s.Hosts.Infected[i] = canon(fmt.Sprintf("hosts.infected[%d]", i), h)
	}
	s.Discretize.FitHost = canon("discretize.fit_host", s.Discretize.FitHost)
	if s.Discretize.fitMode() == "hosts" {
		for i, h := range s.Discretize.FitOn {
			s.Discretize.FitOn[i] = canon(fmt.Sprintf("discretize.fit_on[%d]", i), h)
		}
	}
}

// checkHostAddrs fails the first host of a key that names hosts whose
// address is no IP address: 999.1.1.1 or not-an-ip match no flow, and
// passed as a host with no flows (insufficient data, or a failed point).
// It runs after canonicalHosts, so a host of a list of sources is
// name:address.
func (s *Spec) checkHostAddrs(v *validator) {
	check := func(path, h string) {
		if h == "" {
			return // reported as missing where the key is checked
		}
		addr := h
		if len(s.Data.Sources) > 0 {
			if _, a, ok := strings.Cut(h, ":"); ok {
				addr = a
			}
		}
		if !validAddr(addr) {
			if name, rest, ok := strings.Cut(addr, ":"); ok && sourceName.MatchString(name) && validAddr(rest) {
				// b:10.0.0.1 with no source b: read as the only
				// source's host a:b:10.0.0.1, it matched no flow.
				v.fail(path, "host %q: no data source is named %s (sources: %s)", addr, name, sourceNames(s))
			} else if addr == h {
				v.fail(path, "%q is not an IPv4 or IPv6 address", h)
			} else {
				v.fail(path, "host %q: %q is not an IPv4 or IPv6 address", h, addr)
			}
		}
	}
	for i, h := range s.Hosts.Profile {
		check(profilePath(s, i), h)
	}
	for i, h := range s.Hosts.Normal {
		check(fmt.Sprintf("hosts.normal[%d]", i), h)
	}
	for i, h := range s.Hosts.Infected {
		check(fmt.Sprintf("hosts.infected[%d]", i), h)
	}
	check("discretize.fit_host", s.Discretize.FitHost)
	if s.Discretize.fitMode() == "hosts" {
		for i, h := range s.Discretize.FitOn {
			if h != "profile" && h != "all" { // reported at fit_on with a hint
				check(fmt.Sprintf("discretize.fit_on[%d]", i), h)
			}
		}
	}
}

func validAddr(a string) bool {
	_, err := netip.ParseAddr(a)
	return err == nil
}

// sourceNames lists the names of the spec's data sources.
func sourceNames(s *Spec) string {
	var names []string
	for _, d := range s.Data.Sources {
		names = append(names, d.Name)
	}
	return strings.Join(names, ", ")
}

// profilePath is the YAML path of profiled host i.
func profilePath(s *Spec, i int) string {
	if len(s.Hosts.Profile) == 1 {
		return "hosts.profile"
	}
	return fmt.Sprintf("hosts.profile[%d]", i)
}

// heldOut names the profiled hosts' scored parts under hosts.split (none
// without a split).
func heldOut(s *Spec) []string {
	if s.Hosts.Split.By == "" {
		return nil
	}
	var out []string
	for _, h := range s.Hosts.Profile {
		out = append(out, h+view.TestSuffix)
	}
	return out
}

// hostOrder lists the hosts a point scores: the profiled hosts (and their
// held-out parts), then the normal and infected hosts in spec order.
func hostOrder(s *Spec) []string {
	return uniqueHosts(s.Hosts.Profile, heldOut(s), s.Hosts.Normal, s.Hosts.Infected)
}

// hostClass is a scored host's class: profile, normal or infected (the
// held-out part of a profiled host is infected).
func hostClass(s *Spec, h string) string {
	switch {
	case slices.Contains(s.Hosts.Profile, h):
		return "profile"
	case slices.Contains(s.Hosts.Normal, h):
		return "normal"
	}
	return "infected"
}

// fitMode is how discretize.fit_on reads: "profile", "all", or "hosts"
// (a list of hosts).
func (d DiscretizeSpc) fitMode() string {
	if len(d.FitOn) == 1 && (d.FitOn[0] == "profile" || d.FitOn[0] == "all") {
		return d.FitOn[0]
	}
	if len(d.FitOn) == 0 {
		return "profile"
	}
	return "hosts"
}

// fitHosts are the hosts whose flows fit the cuts (unless fit_on is all):
// fit_on's host list, fit_host, or the profiled hosts.
func fitHosts(s *Spec) []string {
	switch {
	case s.Discretize.fitMode() == "hosts":
		return s.Discretize.FitOn
	case s.Discretize.FitHost != "":
		return []string{s.Discretize.FitHost}
	}
	return s.Hosts.Profile
}

// discretizeHosts lists the hosts the discretizer encodes, in the order the
// notebook encodes them: the hosts the cuts are fitted on first, then the
// scored hosts (the order matters for compat notebook's one-shot iterator).
func discretizeHosts(s *Spec) []string {
	return uniqueHosts(fitHosts(s), heldOut(s), s.Hosts.Normal, s.Hosts.Infected, s.Hosts.Profile)
}

func uniqueHosts(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	for _, h := range all {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// viewParams are the view step's parameters, and whether a point needs the
// step at all: one source read by the hosts' sent flows without a split
// goes to discretize as loaded (the notebook's case; its cache keys are
// those of botprof before the step existed).
func viewParams(s *Spec) (view.Params, bool) {
	srcs := s.Data.List()
	p := view.Params{Namespace: len(s.Data.Sources) > 0, View: s.Hosts.View}
	for _, d := range srcs {
		p.Sources = append(p.Sources, d.Name)
	}
	host := func(h string) view.Host {
		if p.Namespace {
			name, addr, _ := strings.Cut(h, ":")
			return view.Host{Source: name, Addr: addr}
		}
		return view.Host{Source: srcs[0].Name, Addr: h}
	}
	test := heldOut(s)
	for _, h := range discretizeHosts(s) {
		if !slices.Contains(test, h) {
			p.Hosts = append(p.Hosts, host(h))
		}
	}
	if s.Hosts.Split.By != "" {
		for _, h := range s.Hosts.Profile {
			p.Profiles = append(p.Profiles, host(h))
		}
		p.Split = &view.Split{By: s.Hosts.Split.By, At: s.Hosts.Split.At}
	}
	needed := p.Namespace || (p.View != "" && p.View != view.Src) || p.Split != nil
	return p, needed
}
