// Command botprof profiles botnet hosts from CTU-13 NetFlow data with hidden
// Markov models, driven by YAML experiment specs.
//
//	botprof run SPEC [--set key=value]...   run an experiment (or a sweep) into results/
//	botprof validate SPEC                   check a spec without running it
//	botprof diff A B                        compare two result folders
//	botprof show RUN | botprof ls [DIR]     read result folders
//	botprof cache info|verify|gc            inspect the stage cache
//
// main only dispatches; every subcommand is a testable
// run<Name>(ctx, args, stdout, stderr) error in a file of its own.
package main
