"""Chapter 12 (churn prediction and survival analysis)."""
from . import Exercise


def km_by_hand():
    return 5 / 6 * 4 / 5 * 2 / 3


def person_period_rows():
    from companion.survival import person_period

    return int(len(person_period([3, 1, 5, 2, 6, 4], [0] * 6, n_periods=4)))


def oracle_brier_week4():
    from companion import survival as sv
    from companion.data import split_by_user
    from companion.data.churn import generate_churn_log

    task = generate_churn_log(5_000, seed=0).landmark(horizon=12)
    split = split_by_user(task.users["user_id"].to_numpy(), fractions=(0.6, 0.2, 0.2), seed=0)
    tr, te = split["train"], split["test"]
    D, E = task.duration, task.event
    return float(sv.brier_at((D[tr], E[tr]), (D[te], E[te]), task.true_survival[te], [4])[0])


EXERCISES = [
    Exercise("churn.km_by_hand", "Kaplan–Meier by hand", km_by_hand, tol=5e-4,
             hint="multiply (1 - churns / users at risk) over the weeks up to 3; a censored user leaves the "
                  "risk set after its week and is never a churn"),
    Exercise("churn.person_period_rows", "person-period rows under a 4-week head", person_period_rows, kind="exact",
             hint="each user contributes one row per week at risk, and no more than the head's number of weeks"),
    Exercise("churn.oracle_brier_week4", "the oracle's IPCW Brier score at week 4", oracle_brier_week4, tol=5e-4,
             difficulty="**",
             hint="use companion.survival.brier_at with the training users' (durations, events) for the censoring "
                  "weights, the test users' as the test set, and the true curves of the test users"),
]
