package kernel

import "oyako/signals"

// Signal delivery to handlers is roadmap stage 7. Until then a signal
// sent to a process takes effect only if its disposition is the default
// and the default action ends the process (signal(7)); otherwise it is
// recorded as pending and not delivered.

const sigDFL = 0
const sigIGN = 1

// SendSignal sends sig to the process.
func (p *Process) SendSignal(sig int) {
	if sig == signals.SIGKILL {
		p.exitGroup(sig)
		return
	}
	act := p.Sigaction(sig, nil)
	if act.Handler == sigDFL && signals.DefaultKills(sig) {
		p.exitGroup(sig)
		return
	}
	p.mu.Lock()
	p.pending |= signals.Bit(sig)
	p.mu.Unlock()
}

// SigPipe is what a write to a pipe without readers does besides EPIPE.
func (t *Task) SigPipe() { t.Proc.SendSignal(signals.SIGPIPE) }
