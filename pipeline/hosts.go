package pipeline

// Hosts: which hosts a point reads, trains on and scores, their names
// across data sources, and the view step's parameters.

import (
	"fmt"
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
	s.Hosts.Profile = canon("hosts.profile", s.Hosts.Profile)
	for i, h := range s.Hosts.Normal {
		s.Hosts.Normal[i] = canon(fmt.Sprintf("hosts.normal[%d]", i), h)
	}
	for i, h := range s.Hosts.Infected {
		s.Hosts.Infected[i] = canon(fmt.Sprintf("hosts.infected[%d]", i), h)
	}
	s.Discretize.FitHost = canon("discretize.fit_host", s.Discretize.FitHost)
}

// heldOut is the name of the profiled host's scored part under hosts.split
// ("" without a split).
func heldOut(s *Spec) string {
	if s.Hosts.Split.By == "" {
		return ""
	}
	return s.Hosts.Profile + view.TestSuffix
}

// hostOrder lists the hosts a point scores: the profiled host (and its
// held-out part), then the normal and infected hosts in spec order.
func hostOrder(s *Spec) []string {
	var test []string
	if h := heldOut(s); h != "" {
		test = []string{h}
	}
	return uniqueHosts(s.Hosts.Profile, test, s.Hosts.Normal, s.Hosts.Infected)
}

// hostClass is a scored host's class: profile, normal or infected (the
// held-out part of the profiled host is infected).
func hostClass(s *Spec, h string) string {
	switch {
	case h == s.Hosts.Profile:
		return "profile"
	case slices.Contains(s.Hosts.Normal, h):
		return "normal"
	}
	return "infected"
}

func fitHost(s *Spec) string {
	if s.Discretize.FitHost != "" {
		return s.Discretize.FitHost
	}
	return s.Hosts.Profile
}

// discretizeHosts lists the hosts the discretizer encodes, in the order the
// notebook encodes them: the host the cuts are fitted on first, then the
// scored hosts (the order matters for compat notebook's one-shot iterator).
func discretizeHosts(s *Spec) []string {
	var test []string
	if h := heldOut(s); h != "" {
		test = []string{h}
	}
	return uniqueHosts(fitHost(s), test, s.Hosts.Normal, s.Hosts.Infected, []string{s.Hosts.Profile})
}

func uniqueHosts(first string, lists ...[]string) []string {
	out := []string{first}
	seen := map[string]bool{first: true}
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
	for _, h := range discretizeHosts(s) {
		if h != heldOut(s) {
			p.Hosts = append(p.Hosts, host(h))
		}
	}
	if s.Hosts.Split.By != "" {
		p.Profiles = []view.Host{host(s.Hosts.Profile)}
		p.Split = &view.Split{By: s.Hosts.Split.By, At: s.Hosts.Split.At}
	}
	needed := p.Namespace || (p.View != "" && p.View != view.Src) || p.Split != nil
	return p, needed
}
