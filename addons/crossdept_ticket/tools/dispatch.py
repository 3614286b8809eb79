"""Plain functions of automatic dispatch: weights of a person's load, scores, ranking,
and the explanation of a choice.

An explanation is stored on the step as plain data (JSON) and rendered in the reader's
language when it is read::

    {
        "outcome": "assigned" | "manager" | "queued" | "taken" | "started" | "manual",
        "method": "balanced" | "round_robin" | "score",
        "route": "expert" | None,
        "user_id": 7, "score": 1.5,               # the chosen person and their score
        "runners_up": [[8, 2.0], [9, 3.0]],        # the next ones, best first
        "excluded": [                              # people left out, with a reason code
            {"user_id": 10, "reason": "skills", "skills": [[skill id, level id], ...]},
            {"user_id": 11, "reason": "capacity", "load": 5.0, "capacity": 5},
            {"user_id": 12, "reason": "leave"},    # or "holiday", "off_hours"
        ],
        "why": "unqualified" | "unavailable",     # manager and queued outcomes
        "department_id": 3, "manager_id": 4,
        "actor_id": 5, "reason": "...",           # manual: who assigned, and why
    }
"""

from odoo.exceptions import MissingError

# Weight of an open step in a person's load: by kind (an approval counts while the
# person has not decided it yet), multiplied by the ticket's priority. The help text of
# hr.department's Ticket Dispatch field states these numbers; a test keeps them equal.
KIND_WEIGHT = {"task": 1.0, "approval": 0.5}
PRIORITY_WEIGHT = {"0": 1.0, "1": 1.0, "2": 2.0, "3": 3.0}
# high and urgent tickets go to the expert group first
EXPERT_PRIORITIES = ("2", "3")

# reason codes of exclusions
SKILLS = "skills"
CAPACITY = "capacity"
# presence codes of tools.calendar are reason codes too: "leave", "holiday", "off_hours"


def step_weight(kind, priority):
    """Weight of one open step in its holder's load."""
    return KIND_WEIGHT.get(kind, 1.0) * PRIORITY_WEIGHT.get(priority, 1.0)


def skill_fit(levels, requirements):
    """Share of the best level reached over the required skills, 0 to 1.

    ``levels``: {skill id: level progress} of a person; ``requirements``: [(skill id,
    minimum progress, level id)]. Returns (fit, [(skill id, level id) missing])."""
    missing = [
        (skill, level) for skill, minimum, level in requirements if levels.get(skill, -1) < minimum
    ]
    if not requirements:
        return 1.0, missing
    fit = sum(levels.get(skill, 0) for skill, _min, _level in requirements) / (
        100.0 * len(requirements)
    )
    return fit, missing


def score(method, fit, load, capacity):
    """Score of a candidate; lower is better. Balanced and round robin score the load;
    "score" weighs the skill fit against the share of capacity in use."""
    if method == "score":
        return round(-(fit - (load / capacity if capacity else 0.0)), 4)
    return load


def round_robin_key(user_id, last_user_id):
    """Round-robin order: the people after the last assigned one come first."""
    return (user_id <= (last_user_id or 0), user_id)


def rank(method, candidates, last_user_id):
    """[(score, user id)] best first. ``candidates``: [(user id, fit, load, capacity)]."""
    scored = [
        (score(method, fit, load, capacity), user_id) for user_id, fit, load, capacity in candidates
    ]
    if method == "round_robin":
        return sorted(scored, key=lambda item: round_robin_key(item[1], last_user_id))
    return sorted(scored, key=lambda item: (item[0], round_robin_key(item[1], last_user_id)))


def score_label(env, method, value):
    # numbers are formatted outside the translated messages (term extraction cannot
    # read a formatted string inside them)
    if method == "score":
        shown = f"{-value:.2f}"
        return env._("score %(score)s", score=shown)
    shown = f"{value:g}"
    return env._("load %(load)s", load=shown)


def render_explanations(env, data_list):
    """The texts of several stored explanations in ``env``'s language (False where
    there is no data). Names are read once for the whole list."""
    ids = {"res.users": set(), "hr.department": set(), "hr.skill": set(), "hr.skill.level": set()}
    for data in filter(None, data_list):
        ids["res.users"].update(
            filter(None, [data.get("user_id"), data.get("manager_id"), data.get("actor_id")])
        )
        ids["res.users"].update(user_id for user_id, _score in data.get("runners_up", []))
        ids["res.users"].update(item["user_id"] for item in data.get("excluded", []))
        if data.get("department_id"):
            ids["hr.department"].add(data["department_id"])
        for item in data.get("excluded", []):
            for skill, level in item.get("skills", []):
                ids["hr.skill"].add(skill)
                ids["hr.skill.level"].add(level)
    # names of people, departments and skills, which anyone reading the step may see
    names = {}
    for model, model_ids in ids.items():
        names[model] = {}
        for record in env[model].sudo().browse(sorted(model_ids)):
            try:
                names[model][record.id] = record.display_name
            except MissingError:  # deleted since: shown by its id
                continue

    def name(model, record_id):
        return names[model].get(record_id) or f"#{record_id}"

    method_labels = dict(
        env["hr.department"]._fields["crossdept_assign_method"]._description_selection(env)
    )
    return [_render(env, data, name, method_labels) if data else False for data in data_list]


def _exclusion(env, item, name):
    user = name("res.users", item["user_id"])
    reason = item["reason"]
    if reason == SKILLS:
        lacking = ", ".join(
            f"{name('hr.skill', skill)} ≥ {name('hr.skill.level', level)}"
            for skill, level in item.get("skills", [])
        )
        return env._("%(user)s: lacks %(skills)s", user=user, skills=lacking)
    if reason == CAPACITY:
        load = f"{item['load']:g}"
        return env._(
            "%(user)s: at capacity (%(load)s of %(capacity)s)",
            user=user,
            load=load,
            capacity=item["capacity"],
        )
    if reason == "leave":
        return env._("%(user)s: on leave", user=user)
    if reason == "holiday":
        return env._("%(user)s: public holiday", user=user)
    return env._("%(user)s: outside working hours", user=user)


def _render(env, data, name, method_labels):
    outcome = data.get("outcome")
    why = "; ".join(_exclusion(env, item, name) for item in data.get("excluded", []))
    department = name("hr.department", data["department_id"]) if data.get("department_id") else "-"
    if outcome == "taken":
        return env._(
            "Taken from the department queue by %(user)s.", user=name("res.users", data["user_id"])
        )
    if outcome == "started":
        return env._(
            "%(user)s started the step and holds it.", user=name("res.users", data["user_id"])
        )
    if outcome == "manual":
        return env._(
            "Assigned to %(user)s by %(actor)s: %(reason)s",
            user=name("res.users", data["user_id"]),
            actor=name("res.users", data["actor_id"]),
            reason=data.get("reason") or "-",
        )
    if outcome == "manager":
        manager = name("res.users", data["manager_id"])
        if data.get("why") == "unavailable":
            return env._(
                "Nobody in %(department)s is available now; assigned to the manager "
                "%(manager)s. %(why)s",
                department=department,
                manager=manager,
                why=why,
            )
        return env._(
            "Nobody in %(department)s qualified; assigned to the manager %(manager)s. %(why)s",
            department=department,
            manager=manager,
            why=why,
        )
    if outcome == "queued":
        if data.get("why") == "unqualified":
            return env._(
                "Nobody in %(department)s qualified and the department has no manager; "
                "the step waits in the department queue. %(why)s",
                department=department,
                why=why,
            )
        return env._(
            "Nobody in %(department)s is available now; the step waits in the department "
            "queue. %(why)s",
            department=department,
            why=why,
        )
    method = data["method"]
    runners_up = ", ".join(
        f"{name('res.users', user_id)} ({score_label(env, method, value)})"
        for user_id, value in data.get("runners_up", [])
    )
    text = env._(
        "%(route)s%(method)s: %(user)s (%(score)s). Next: %(next)s.",
        route=env._("expert group, ") if data.get("route") == "expert" else "",
        method=method_labels.get(method, method),
        user=name("res.users", data["user_id"]),
        score=score_label(env, method, data["score"]),
        next=runners_up or "-",
    )
    if why:
        text += " " + env._("Excluded: %(why)s.", why=why)
    return text
