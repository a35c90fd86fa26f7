"""Chapter 10 (reinforcement learning for recommendation)."""
from . import Exercise


def ucb1_bonus():
    import numpy as np

    return float(np.sqrt(2 * np.log(100) / 8))


def ips_by_hand():
    return (1 / 0.5 * 1 + 0.5 / 0.25 * 0 + 0 / 0.2 * 1) / 3


def session_policy_value():
    import numpy as np

    import companion.rl as rl

    env = rl.ClickbaitSessionEnv()
    P, R, cont = env.model()
    f, _ = env.states().T
    return float(rl.policy_evaluation(P, R, cont, np.where(f == 0, 1, 2))[env.state_index(np.array(env.start))])


EXERCISES = [
    Exercise("rl.ucb1_bonus", "UCB1's exploration bonus", ucb1_bonus, tol=5e-4,
             hint="the bonus is sqrt(2 ln t / n) with t the round and n the arm's pulls; ln is the natural log"),
    Exercise("rl.ips_by_hand", "IPS by hand", ips_by_hand, tol=5e-4,
             hint="weight each reward by target probability / logging propensity, then average over all rounds"),
    Exercise("rl.session_policy_value", "The exact value of a fixed policy", session_policy_value, tol=5e-4,
             difficulty="**",
             hint="build the policy as one action per state index (fatigue * n_trust + trust) and use "
                  "rl.policy_evaluation on env.model(); read the start state's entry"),
]
