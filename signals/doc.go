// Package signals will hold signal state and delivery: sigaction, masks and
// pending sets, Linux-exact rt_sigframe construction and rt_sigreturn,
// default actions, sigaltstack and fault signals (roadmap stage 7).
//
// It is empty today. The kernel's own Go runtime's sigaction, sigprocmask
// and sigaltstack calls are recorded by the runtime services
// (kernel/services.go) and nothing is delivered.
package signals
