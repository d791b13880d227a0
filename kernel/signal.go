package kernel

// Signal delivery to handlers is roadmap stage 7. Until then a signal
// sent to a process takes effect only if its disposition is the default
// and the default action ends the process (signal(7)); otherwise it is
// recorded as pending and not delivered.

const sigDFL = 0
const sigIGN = 1

// defaultKills reports whether sig's default action terminates the process
// (Term or Core in signal(7)).
func defaultKills(sig int) bool {
	switch sig {
	case 17, 18, 19, 20, 21, 22, 23, 28: // CHLD CONT STOP TSTP TTIN TTOU URG WINCH: ignore or stop
		return false
	}
	return sig >= 1 && sig <= 64
}

// SendSignal sends sig to the process.
func (p *Process) SendSignal(sig int) {
	if sig == SIGKILL {
		p.exitGroup(sig)
		return
	}
	act := p.Sigaction(sig, nil)
	if act.Handler == sigDFL && defaultKills(sig) {
		p.exitGroup(sig)
		return
	}
	p.mu.Lock()
	p.pending |= 1 << (sig - 1)
	p.mu.Unlock()
}

// SigPipe is what a write to a pipe without readers does besides EPIPE.
func (t *Task) SigPipe() { t.Proc.SendSignal(13) }
