package engine

import (
	_ "embed"
	"fmt"
)

// lockdownJS freezes the realm's built-ins (Options.FrozenIntrinsics), in
// the manner of SES's lockdown: every object reachable from the global
// names the realm starts with, and the intrinsics only reachable through
// instances (iterator and generator prototypes), is frozen along with
// what its properties and prototype chain reach; the global names become
// read-only. Properties that code commonly assigns on its own objects
// (toString, constructor, name, message, ...) become accessors on the
// frozen prototypes, whose setter defines the property on the object
// assigned to: otherwise `MyError.prototype.name = 'MyError'` would throw
// in strict code (the "override mistake"), because the inherited property
// is read-only. The global object stays extensible, but its prototype is
// fixed.
//
//go:embed lockdown.js
var lockdownJS string

// lockdown runs lockdownJS. Call before any module code runs.
func (r *Realm) lockdown() error {
	if _, err := r.vm.RunScript("hotmod:lockdown", lockdownJS); err != nil {
		return fmt.Errorf("freezing the intrinsics: %w", Err(err))
	}
	return nil
}
