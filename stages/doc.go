// Package stages holds what the stage packages below it share: the error a
// Params.Validate returns about one field, so that spec validation can
// report it at the field's YAML path and line.
//
// Every stage package (load, filter, view, discretize, window, train,
// evaluate) has the same contract: a Version, Params with Validate, an
// Input, and Run(ctx, Input, Params) (*Result, error). See
// docs/architecture.md.
package stages
