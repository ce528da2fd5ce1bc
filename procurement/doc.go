// Package procurement will hold purchase orders, their gate and waivers
// (issue 5). Its tables exist from schema version 3.
package procurement
