from odoo import Command
from odoo.models import MAGIC_COLUMNS
from odoo.tests import new_test_user, tagged

from .common_flow import CrossdeptFlowCase
from .guard import ROLES, GuardAttempts

NOBODY = frozenset()
ADMINS = frozenset({"admin"})
MANAGERS = frozenset({"manager", "admin"})
INTERNAL = frozenset({"other", "member", "responsible", "approver", "manager", "admin"})
# who edits a running ticket's content: its Responsible (who holds its task), its
# Accountable (the IT manager) and administrators
TICKET_EDITORS = frozenset({"responsible", "manager", "admin"})
# who changes an effort line the Responsible logged: they and the ticket's managers
EFFORT_EDITORS = frozenset({"responsible", "manager", "admin"})

MAIL_FIELDS = ("message_follower_ids", "message_ids", "website_message_ids", "rating_ids")

# What each role may write, create and unlink, model by model, as the UI offers it.
# Every stored field of every CrossDept model is listed: a new field fails the test
# until somebody decides who may write it.
TABLE = {
    "crossdept.ticket": {
        "write": {
            **dict.fromkeys(
                "title description tag_ids partner_id priority date_deadline color "
                "applied_article_ids message_follower_ids message_ids website_message_ids "
                "activity_ids rating_ids".split(),
                TICKET_EDITORS,
            ),
            **dict.fromkeys(["user_id", "assigned_department_id"], TICKET_EDITORS),
            **dict.fromkeys(["raci_ids", "active"], MANAGERS),
            # chosen before the flow starts, fixed while it runs
            **dict.fromkeys(
                "type_id department_id flow_id company_id requester_id".split(), NOBODY
            ),
            # the engine's
            **dict.fromkeys(
                "state date_closed name step_ids event_ids schedule_id schedule_period "
                "schedule_target dispatch_target_ref rating_last_value "
                "resolved_with_knowledge access_token step_holder_ids "
                "previous_ticket_id cc_user_ids participant_user_ids".split(),
                NOBODY,
            ),
            # bridges and companions (when installed)
            "lead_id": TICKET_EDITORS,
            "purchase_id": NOBODY,
            "pilot_id": NOBODY,
            "pilot_arm": NOBODY,
            "api_idempotency_key": NOBODY,
            "api_request_hash": NOBODY,
            # the holder ticks them off through the ticket; nothing else changes them
            "current_deliverable_ids": NOBODY,
        },
        "create": INTERNAL,
        "unlink": NOBODY,
    },
    "crossdept.ticket.step": {
        "write": dict.fromkeys(
            "accountable_id active approval_state approver_ids assignment_explanation "
            "calendar_id company_id date_deadline date_done date_escalation_due date_paused "
            "date_ready date_started decision_ids deliverable_ids department_id "
            "escalation_level flow_step_id kind name portal_visible predecessor_ids "
            "priority responsible_ids sequence skip_reason sla_hours sla_status state "
            "ticket_id user_id sla_paused_hours assignment_data approval_timed_out "
            "signer_ids handling_hours hold_hours date_measured effort_hours".split(),
            NOBODY,
        )
        | {
            # a line logged, changed or deleted through the step's Effort tab: by its
            # author (the Responsible here) or a manager of the ticket (the line's
            # own rules); never moved in from another step
            "effort_ids": {
                "clear": EFFORT_EDITORS,
                "create": EFFORT_EDITORS,
                "update": EFFORT_EDITORS,
                None: NOBODY,
            },
        },
        "create": NOBODY,
        "unlink": NOBODY,
    },
    "crossdept.ticket.step.effort": {
        "write": {
            **dict.fromkeys("date description duration".split(), EFFORT_EDITORS),
            # whose effort it is: a manager of the ticket corrects it
            "user_id": MANAGERS,
            # a line stays on its step; the timer is Start Timer and Stop Timer
            **dict.fromkeys("step_id ticket_id company_id timer_start".split(), NOBODY),
        },
        "create": EFFORT_EDITORS,
        "unlink": EFFORT_EDITORS,
    },
    "crossdept.ticket.step.decision": {
        "write": dict.fromkeys(
            "active attachment_ids company_id date decision reason step_id user_id".split(), NOBODY
        ),
        "create": NOBODY,
        "unlink": NOBODY,
    },
    "crossdept.ticket.step.deliverable": {
        "write": {
            # the holder ticks them off; nobody else, administrators included
            "done": frozenset({"responsible"}),
            # and gives the values of its outputs
            **dict.fromkeys(
                "value_amount currency_id value_text value_date value_yes_no value_file "
                "value_filename".split(),
                frozenset({"responsible"}),
            ),
            **dict.fromkeys(
                "company_id flow_deliverable_id name sequence step_id ticket_id value_type "
                "required filled_by_id date_filled".split(),
                NOBODY,
            ),
        },
        "create": NOBODY,
        "unlink": NOBODY,
    },
    "crossdept.ticket.step.signer": {
        "write": dict.fromkeys(
            "active approver_id company_id position reason state step_id user_id".split(),
            NOBODY,
        ),
        "create": NOBODY,
        "unlink": NOBODY,
    },
    # the delegator (the approver here) records and changes their own delegation
    "crossdept.approval.delegation": {
        "write": {
            **dict.fromkeys(
                "active date_from date_to delegate_id flow_ids note scope".split(),
                frozenset({"approver", "admin"}),
            ),
            "user_id": ADMINS,
        },
        "create": frozenset({"approver", "admin"}),
        "unlink": frozenset({"approver", "admin"}),
    },
    "crossdept.ticket.raci": {
        "write": {
            **dict.fromkeys("department_id note role user_id".split(), MANAGERS),
            **dict.fromkeys(["company_id", "holder_user_id", "ticket_id"], NOBODY),
        },
        "create": MANAGERS,
        "unlink": MANAGERS,
    },
    "crossdept.ticket.event": {
        "write": dict.fromkeys(
            "actor_id company_id event_date event_type from_department_id from_state "
            "from_user_id reason step_id target_step_id ticket_id to_department_id "
            "to_state to_user_id".split(),
            NOBODY,
        ),
        "create": NOBODY,
        "unlink": NOBODY,
    },
    "crossdept.ticket.type": {
        "write": dict.fromkeys(
            "accountable_user_id active code company_id description expert_user_ids name "
            "sequence skill_requirement_ids alias_id portal_available".split(),
            ADMINS,
        ),
        "create": ADMINS,
        "unlink": ADMINS,
    },
    "crossdept.ticket.tag": {
        "write": dict.fromkeys("active color name".split(), MANAGERS),
        "create": MANAGERS,
        "unlink": ADMINS,
    },
    "crossdept.kb.article": {
        "write": {
            **dict.fromkeys(
                "active body color company_id department_id name state tag_ids type_ids "
                "author_id message_follower_ids message_ids rating_ids "
                "website_message_ids".split(),
                MANAGERS,
            ),
            **dict.fromkeys(
                "date_last_used usage_count ticket_ids source_ticket_id".split(), NOBODY
            ),
        },
        "create": MANAGERS,
        "unlink": ADMINS,
    },
    "crossdept.flow": {
        "write": {
            # an active flow is locked: its structure changes through New Version
            **dict.fromkeys("code company_id domain step_ids type_ids".split(), NOBODY),
            **dict.fromkeys("name description".split(), ADMINS),
            # how often a requester may urge (催办) is a setting, not the structure
            "urge_interval_hours": ADMINS,
            "approver_dedup": ADMINS,
            # who is copied (抄送) at submit and at the end
            **dict.fromkeys(
                "cc_submit_user_ids cc_submit_department_ids cc_end_user_ids "
                "cc_end_department_ids".split(),
                ADMINS,
            ),
            **dict.fromkeys("state version previous_version_id".split(), NOBODY),
            # the designer's count of the changes of the steps: the engine keeps it
            **dict.fromkeys("designer_revision designer_write_uid".split(), NOBODY),
            # no ticket moves onto or off a flow; a ticket created on it is a ticket
            # created with its flow chosen, as administrators (who alone write flows) may
            "ticket_ids": {None: NOBODY, "create": ADMINS},
            # rules and analytics of the flow: their own models decide (administrators
            # write escalation rules, nobody the bottlenecks)
            "escalation_rule_ids": ADMINS,
            "bottleneck_ids": NOBODY,
            "recommendation_ids": ADMINS,
            # the chatter (reports of BPMN imports): who may write the flow
            **dict.fromkeys(MAIL_FIELDS, ADMINS),
        },
        "create": ADMINS,
        "unlink": NOBODY,
    },
    "crossdept.flow.step": {
        # the step of an active flow with running tickets: locked for everybody
        "write": dict.fromkeys(
            "allow_requester_approval approval_min_count approval_min_percent "
            "approval_policy assignment calendar_id condition_domain deliverable_ids "
            "department_id flow_id kind name portal_visible predecessor_ids raci_ids "
            "reject_action reject_return_step_id require_attachment required_field_ids "
            "sequence skill_requirement_ids skip_when_urgent sla_hours value_adding "
            "require_decision_comment approval_timeout_action "
            "escalation_rule_ids diagram_x diagram_y cc_user_ids cc_department_ids".split(),
            NOBODY,
        ),
        "create": NOBODY,
        "unlink": NOBODY,
    },
    "crossdept.flow.step.raci": {
        "write": dict.fromkeys("department_id holder_type role step_id user_id".split(), NOBODY),
        "create": NOBODY,
        "unlink": NOBODY,
    },
    "crossdept.flow.step.deliverable": {
        "write": dict.fromkeys("name sequence step_id value_type required".split(), NOBODY),
        "create": NOBODY,
        "unlink": NOBODY,
    },
    "crossdept.skill.requirement": {
        "write": {
            **dict.fromkeys("flow_step_id level_id skill_id skill_type_id".split(), NOBODY),
            "type_id": NOBODY,
        },
        "create": NOBODY,
        "unlink": NOBODY,
    },
    "crossdept.escalation.rule": {
        "write": dict.fromkeys(
            "active company_id flow_id flow_step_id level1_raise_priority level1_reassign "
            "level2_delay_hours name sequence warn_percent".split(),
            ADMINS,
        ),
        "create": ADMINS,
        "unlink": ADMINS,
    },
    "crossdept.dispatch.schedule": {
        "write": {
            **dict.fromkeys(
                "active company_id department_ids flow_id interval name next_run priority "
                "rule_type target_domain target_kind target_model_id title_pattern type_id "
                "user_ids".split(),
                MANAGERS,
            ),
            "ticket_ids": NOBODY,
            "last_error": NOBODY,
            **dict.fromkeys(MAIL_FIELDS, MANAGERS),
        },
        "create": MANAGERS,
        "unlink": MANAGERS,
    },
    # companions, when installed
    "crossdept.pilot": {
        "write": {
            **dict.fromkeys(
                "company_id control_flow_id variant_flow_id scope department_ids percent "
                "date_start date_end name".split(),
                ADMINS,
            ),
            **dict.fromkeys("state promoted ticket_ids".split(), NOBODY),
            **dict.fromkeys(MAIL_FIELDS, ADMINS),
        },
        "create": ADMINS,
        "unlink": ADMINS,
    },
    "crossdept.simulation": {
        "write": {
            **dict.fromkeys(
                "name flow_id company_id change step_id other_step_id new_sla_hours "
                "department_id headcount_old headcount_new runs seed".split(),
                MANAGERS,
            ),
            **dict.fromkeys(
                "state ticket_count actual_mean actual_median actual_p90 baseline_median "
                "predicted_mean predicted_median predicted_p90 histogram_data".split(),
                NOBODY,
            ),
        },
        "create": MANAGERS,
        "unlink": MANAGERS,
    },
    # queued through the wizards and actions, run and written by the job runner
    "crossdept.analytics.job": {
        "write": dict.fromkeys(
            "name kind params state user_id company_id simulation_id attachment_id error "
            "attempt date_started date_finished cron_progress_id items_done items_total".split()
            + list(MAIL_FIELDS),
            NOBODY,
        ),
        "create": MANAGERS,
        "unlink": ADMINS,
    },
    "crossdept.health.rule": {
        "write": dict.fromkeys(
            "active alert_ids baseline_windows company_id department_id flow_id kpi mode name "
            "operator scope sequence sigma threshold type_id user_id window_days".split(),
            ADMINS,
        ),
        "create": ADMINS,
        "unlink": ADMINS,
    },
    "crossdept.health.alert": {
        "write": {
            **dict.fromkeys(
                "baseline company_id date_closed date_open department_id flow_id kpi "
                "limit_value rule_id scope state type_id user_id value".split(),
                NOBODY,
            ),
            **dict.fromkeys([*MAIL_FIELDS, "activity_ids"], MANAGERS),
        },
        "create": NOBODY,
        "unlink": ADMINS,
    },
    "crossdept.approval.recommendation": {
        "write": dict.fromkeys(
            "amount_threshold company_id evidence_data flow_id kind name saving_hours "
            "state step_ids ticket_count".split(),
            NOBODY,
        ),
        "create": NOBODY,
        "unlink": MANAGERS,
    },
    "crossdept.collaboration.star": {
        "write": {
            **dict.fromkeys(
                "company_id consultations department_id month on_time_rate score "
                "steps_done user_id".split(),
                NOBODY,
            ),
            **dict.fromkeys(MAIL_FIELDS, ADMINS),
        },
        "create": NOBODY,
        "unlink": ADMINS,
    },
    "crossdept.webhook": {
        "write": dict.fromkeys(
            "active company_id delivery_ids event_type_ids max_attempts name secret timeout "
            "url".split(),
            ADMINS,
        ),
        "create": ADMINS,
        "unlink": ADMINS,
    },
    "crossdept.webhook.delivery": {
        "write": dict.fromkeys(
            "attempt_count company_id duration_ms event_type event_uid last_attempt "
            "last_error last_status next_attempt payload response_excerpt state ticket_id "
            "webhook_id".split(),
            NOBODY,
        ),
        "create": NOBODY,
        "unlink": ADMINS,
    },
    # crossdept_analytics: the Parquet export's watermark moves with its files only
    "crossdept.parquet.export": {
        "write": dict.fromkeys(
            "company_id last_event_id last_export_date last_event_count".split(), NOBODY
        ),
        "create": NOBODY,
        "unlink": NOBODY,
    },
    "crossdept.webhook.event.type": {
        "write": {**dict.fromkeys("name sequence description".split(), ADMINS), "code": NOBODY},
        "create": NOBODY,
        "unlink": NOBODY,
    },
    "crossdept.chat.channel": {
        "write": dict.fromkeys(
            "active callback_secret company_id lang max_attempts message_ids name platform "
            "route_ids secret timeout url".split(),
            ADMINS,
        ),
        "create": ADMINS,
        "unlink": ADMINS,
    },
    "crossdept.chat.route": {
        "write": dict.fromkeys(
            "channel_id company_id department_id event flow_step_id mention_holders "
            "mention_user_ids sequence".split(),
            ADMINS,
        ),
        "create": ADMINS,
        "unlink": ADMINS,
    },
    # the outbox: queued by ticket events, sent by the cron
    "crossdept.chat.message": {
        "write": dict.fromkeys(
            "attempt_count channel_id company_id duration_ms event last_attempt last_error "
            "last_status next_attempt payload response_excerpt route_id state step_id "
            "ticket_id".split(),
            NOBODY,
        ),
        "create": NOBODY,
        "unlink": ADMINS,
    },
    # the callbacks' nonces: written by the callback endpoint only
    "crossdept.chat.nonce": {
        "write": dict.fromkeys("channel_id date nonce".split(), NOBODY),
        "create": NOBODY,
        "unlink": NOBODY,
    },
}

# CrossDept's fields on Odoo's models (those of crossdept_purchase are in its tests);
# "hr_officer" is an HR officer without CrossDept rights
ODOO_TABLE = {
    "hr.department": {
        # the department form shows them to CrossDept administrators only; Odoo lets
        # every employee write departments
        **dict.fromkeys(
            "crossdept_assign_method crossdept_max_open_steps crossdept_when_unavailable "
            "crossdept_expert_user_ids".split(),
            ADMINS,
        ),
        # the round-robin position
        "crossdept_last_assigned_user_id": NOBODY,
    },
    # the employee form's HR settings
    "hr.employee": dict.fromkeys(
        "crossdept_max_open_steps crossdept_dingtalk_user_id crossdept_feishu_user_id "
        "crossdept_wecom_user_id".split(),
        frozenset({"hr_officer"}),
    ),
}


@tagged("post_install", "-at_install")
class TestEngineGuard(GuardAttempts, CrossdeptFlowCase):
    """Every role tries every stored field of every CrossDept model that the UI does
    not let it edit, over the ORM as RPC would, and tries to create and delete
    records: each attempt is refused, with a message, leaving nothing half-written
    and no event behind. An x2many field is cleared, linked to (a user links
    themself in), set, and given or changed a line through; every field gets a
    value to try (see tests/guard.py)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = cls._guard_users()
        cls.member = cls.users["member"]
        cls.admin_user = cls.users["admin"]
        # a second company to move records to, which every internal role belongs to:
        # a refusal must come from the guard, not from a company the user lacks
        cls.other_company = cls.env["res.company"].create({"name": "Guard Company (test)"})
        for role, user in cls.users.items():
            if role != "portal":
                user.company_ids |= cls.other_company
        skill_type = cls.env["hr.skill.type"].create(
            {
                "name": "Languages (guard test)",
                "skill_ids": [Command.create({"name": "English"})],
                "skill_level_ids": [Command.create({"name": "Fluent", "level_progress": 80})],
            }
        )
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {
                    "name": "Work",
                    "deliverable_ids": [Command.create({"name": "Report"})],
                    "skill_requirement_ids": [
                        Command.create(
                            {
                                "skill_type_id": skill_type.id,
                                "skill_id": skill_type.skill_ids.id,
                                "level_id": skill_type.skill_level_ids.id,
                            }
                        )
                    ],
                },
                {"name": "Sign", "kind": "approval", "approvers": cls.approver_1},
                {"name": "Close", "preds": ["Work", "Sign"]},
            ]
        )
        cls.ticket = cls._run(
            cls.flow,
            partner_id=cls.customer_a.id,
            raci_ids=[
                Command.create({"role": "responsible", "user_id": cls.it_user.id}),
                Command.create({"role": "informed", "user_id": cls.finance_manager.id}),
            ],
        )
        cls.work = cls._step(cls.ticket, "Work")
        cls.sign = cls._step(cls.ticket, "Sign")
        cls.sign.with_user(cls.approver_1).action_approve()  # a decision to attack
        # effort to attack: the Responsible's on Work, the approver's on Sign (a line
        # another step could try to take in)
        Effort = cls.env["crossdept.ticket.step.effort"]
        cls.effort = Effort.with_user(cls.it_user).create(
            {"step_id": cls.work.id, "duration": 1.0, "description": "Guard"}
        )
        Effort.create({"step_id": cls.sign.id, "user_id": cls.approver_1.id, "duration": 0.5})
        cls.article = cls.env["crossdept.kb.article"].create(
            {"name": "Printer", "body": "<p>Reboot.</p>", "state": "published"}
        )
        cls.ticket.action_apply_articles(cls.article)
        cls.tag = cls.env["crossdept.ticket.tag"].create({"name": "Guard"})
        cls.rule = cls.env["crossdept.escalation.rule"].create({"name": "Guard rule"})
        cls.schedule = cls.env["crossdept.dispatch.schedule"].create(
            {
                "name": "Guard schedule",
                "type_id": cls.ticket_type.id,
                "department_ids": [Command.set(cls.dept_it.ids)],
                "next_run": "2030-01-07 06:00:00",
            }
        )
        cls._second_records()
        cls.fixtures = {
            "crossdept.ticket": cls.ticket,
            "crossdept.ticket.step": cls.work,
            "crossdept.ticket.step.decision": cls.sign.decision_ids,
            "crossdept.ticket.step.deliverable": cls.work.deliverable_ids,
            "crossdept.ticket.step.effort": cls.effort,
            "crossdept.ticket.raci": cls.ticket.raci_ids.filtered(
                lambda line: line.role == "informed"
            ),
            "crossdept.ticket.event": cls.ticket.event_ids[:1],
            "crossdept.ticket.type": cls.ticket_type,
            "crossdept.ticket.tag": cls.tag,
            "crossdept.kb.article": cls.article,
            "crossdept.flow": cls.flow,
            "crossdept.flow.step": cls.flow_steps["Work"],
            "crossdept.flow.step.raci": cls.flow_steps["Work"].raci_ids,
            "crossdept.flow.step.deliverable": cls.flow_steps["Work"].deliverable_ids,
            "crossdept.skill.requirement": cls.flow_steps["Work"].skill_requirement_ids,
            "crossdept.escalation.rule": cls.rule,
            "crossdept.dispatch.schedule": cls.schedule,
            "crossdept.ticket.step.signer": cls.env["crossdept.ticket.step.signer"]
            .sudo()
            ._engine()
            .create(
                {
                    "step_id": cls.sign.id,
                    "approver_id": cls.approver_1.id,
                    "user_id": cls.approver_2.id,
                    "position": "before",
                    "state": "done",
                }
            ),
            "crossdept.approval.delegation": cls.env["crossdept.approval.delegation"]
            .with_user(cls.approver_1)
            .create(
                {
                    "delegate_id": cls.it_manager.id,
                    "date_from": "2031-01-01 00:00:00",
                    "date_to": "2031-06-01 00:00:00",
                    "scope": "flows",
                    "flow_ids": [Command.set(cls.flow.ids)],
                }
            ),
        }
        cls._companion_fixtures()

    @classmethod
    def _second_records(cls):
        """Another ticket type (with its mail alias), flow (with a deliverable), ticket
        and rating, so that every field has a record to be moved, linked or set to,
        demo data or not (a production install has none of these)."""
        other_type = cls.env["crossdept.ticket.type"].create({"name": "Guard type 2"})
        other_flow, _steps = cls._make_flow(
            [{"name": "Other", "deliverable_ids": [Command.create({"name": "Other report"})]}],
            type_ids=[Command.set(other_type.ids)],
        )
        other_ticket = cls._run(other_flow, type_id=other_type.id)
        cls.env["rating.rating"].create(
            {
                "res_model_id": cls.env["ir.model"]._get_id("crossdept.ticket"),
                "res_id": other_ticket.id,
                "partner_id": cls.customer_b.id,
                "rating": 5,
                "consumed": True,
            }
        )

    @classmethod
    def _companion_fixtures(cls):
        """A record of each model of the companion addons that are installed."""
        env = cls.env
        if "crossdept.pilot" in env:
            variant = env["crossdept.flow"].browse(cls.flow.action_new_version()["res_id"])
            cls.fixtures["crossdept.pilot"] = env["crossdept.pilot"].create(
                {
                    "name": "Guard pilot",
                    "control_flow_id": cls.flow.id,
                    "variant_flow_id": variant.id,
                }
            )
            cls.fixtures["crossdept.simulation"] = env["crossdept.simulation"].create(
                {"flow_id": cls.flow.id, "change": "remove", "step_id": cls.flow_steps["Work"].id}
            )
            rule = env["crossdept.health.rule"].create({"name": "Guard rule"})
            cls.fixtures["crossdept.health.rule"] = rule
            cls.fixtures["crossdept.health.alert"] = (
                env["crossdept.health.alert"]
                ._engine()
                .create(
                    {
                        "rule_id": rule.id,
                        "company_id": env.company.id,
                        "department_id": cls.dept_it.id,
                        "value": 40.0,
                        "limit_value": 30.0,
                    }
                )
            )
            cls.fixtures["crossdept.approval.recommendation"] = (
                env["crossdept.approval.recommendation"]
                ._engine()
                .create(
                    {
                        "flow_id": cls.flow.id,
                        "kind": "merge",
                        "step_ids": [Command.set(cls.flow.step_ids.ids)],
                        "ticket_count": 12,
                    }
                )
            )
            cls.fixtures["crossdept.collaboration.star"] = (
                env["crossdept.collaboration.star"]
                ._engine()
                .create(
                    {
                        "month": "2030-01-01",
                        "company_id": env.company.id,
                        "user_id": cls.it_user.id,
                        "score": 9,
                    }
                )
            )
        if "crossdept.analytics.job" in env:
            cron = env.ref("crossdept_analytics.ir_cron_crossdept_analytics_job")
            # two progress records: the job's, and another one it could be moved to
            progress = env["ir.cron.progress"].create([{"cron_id": cron.id}] * 2)
            cls.fixtures["crossdept.analytics.job"] = (
                env["crossdept.analytics.job"]
                ._engine()
                .create(
                    {
                        "kind": "refresh",
                        "name": "Guard job",
                        "params": {"concurrently": True},
                        "cron_progress_id": progress[0].id,
                    }
                )
            )
        if "crossdept.parquet.export" in env:
            cls.fixtures["crossdept.parquet.export"] = env[
                "crossdept.parquet.export"
            ]._for_companies(env.company)
        if "crossdept.webhook" in env:
            event_type = env["crossdept.webhook.event.type"].search([], limit=1)
            webhook = env["crossdept.webhook"].create(
                {
                    "name": "Guard hook",
                    "url": "http://127.0.0.1:9/hook",
                    "event_type_ids": [Command.set(event_type.ids)],
                }
            )
            cls.fixtures["crossdept.webhook"] = webhook
            # another subscription a delivery could be moved to
            webhook.copy({"name": "Guard hook 2"})
            cls.fixtures["crossdept.webhook.event.type"] = event_type
            cls.fixtures["crossdept.webhook.delivery"] = (
                env["crossdept.webhook.delivery"]
                ._engine()
                .create(
                    {
                        "webhook_id": webhook.id,
                        "event_type": event_type.code,
                        "event_uid": "guard-1",
                        "ticket_id": cls.ticket.id,
                        "payload": "{}",
                    }
                )
            )
        if "crossdept.chat.channel" in env:
            channel = env["crossdept.chat.channel"].create(
                {
                    "name": "Guard chat",
                    "platform": "webhook",
                    "url": "http://127.0.0.1:9/chat",
                    "active": False,
                    # two routes: a message's route can be changed to the other
                    "route_ids": [
                        Command.create({"event": "done"}),
                        Command.create({"event": "breach"}),
                    ],
                }
            )
            # another channel a route or a message could be moved to (active: the
            # values tried are searched among active records; no route, so it hears nothing)
            channel.copy({"name": "Guard chat 2", "active": True, "route_ids": []})
            cls.fixtures["crossdept.chat.channel"] = channel
            cls.fixtures["crossdept.chat.route"] = channel.route_ids[:1]
            cls.fixtures["crossdept.chat.message"] = (
                env["crossdept.chat.message"]
                ._engine()
                .create(
                    {
                        "channel_id": channel.id,
                        "route_id": channel.route_ids[:1].id,
                        "event": "done",
                        "ticket_id": cls.ticket.id,
                        "step_id": cls.ticket.step_ids[:1].id,
                        "payload": "{}",
                    }
                )
            )
            env["crossdept.chat.nonce"]._claim(channel, "guard-nonce-1")
            cls.fixtures["crossdept.chat.nonce"] = env["crossdept.chat.nonce"].search(
                [("channel_id", "=", channel.id)]
            )

    def test_every_role_every_field_of_every_model(self):
        problems, covered, untried = [], 0, []
        for model_name, expected in TABLE.items():
            if model_name not in self.env:
                continue
            Model = self.env[model_name]
            stored = {
                name
                for name, field in Model._fields.items()
                if field.store and name not in MAGIC_COLUMNS
            }
            if stored - set(expected["write"]):
                problems.append(
                    f"{model_name}: fields nobody decided who may write: "
                    f"{sorted(stored - set(expected['write']))}"
                )
                continue
            # without the context of the engine that may have made the fixture
            record = self.fixtures[model_name][:1].with_env(self.env)
            self.assertTrue(record, f"{model_name}: no record to attack")
            found, count, missed = self._attack_fields(
                record, expected["write"], self.users, stored
            )
            problems += found
            covered += count
            untried += missed
            vals = record.sudo().copy_data()[0]
            for role in ROLES:
                user = self.users[role]
                if role not in expected["create"]:
                    problems.append(
                        self._refused(
                            f"{model_name} created by {role}",
                            lambda user=user, vals=vals, Model=Model: Model.with_user(user).create(
                                dict(vals)
                            ),
                        )
                    )
                if role not in expected["unlink"]:
                    problems.append(
                        self._refused(
                            f"{model_name} deleted by {role}",
                            lambda user=user, record=record: record.with_user(user).unlink(),
                            lambda record=record: bool(record.exists()),
                        )
                    )
        problems = [problem for problem in problems if problem]
        self.assertFalse(problems, "\n".join(problems))
        self.assertFalse(untried, "fields with no value to try")
        self.assertGreater(covered, 1000)

    def test_reporting_views_are_read_only_for_everyone(self):
        modules = self.env["ir.module.module"].search(
            [("name", "like", "crossdept_%"), ("state", "=", "installed")]
        )
        data = self.env["ir.model.data"].search(
            [("module", "in", modules.mapped("name")), ("model", "=", "ir.model")]
        )
        models = self.env["ir.model"].browse(data.mapped("res_id")).mapped("model")
        views = [name for name in models if name in self.env and not self.env[name]._auto]
        problems = []
        for name in views:
            if self.env[name]._transient or self.env[name]._abstract:
                continue
            for role, user in self.users.items():
                for operation in ("write", "create", "unlink"):
                    if self.env[name].with_user(user).has_access(operation):
                        problems.append(f"{name}: {role} may {operation}")
        if not views:
            self.skipTest("no reporting view installed (crossdept_analytics has them)")
        self.assertFalse(problems, "\n".join(problems))

    def test_every_crossdept_table_is_covered(self):
        """A new model of any CrossDept addon fails until somebody decides who may
        write what."""
        modules = self.env["ir.module.module"].search(
            [("name", "like", "crossdept_%"), ("state", "=", "installed")]
        )
        data = self.env["ir.model.data"].search(
            [("module", "in", modules.mapped("name")), ("model", "=", "ir.model")]
        )
        tables = {
            model
            for model in self.env["ir.model"].browse(data.mapped("res_id")).mapped("model")
            if model in self.env
            and self.env[model]._auto
            and not self.env[model]._transient
            and model.startswith("crossdept.")
        }
        self.assertFalse(tables - set(TABLE), sorted(tables - set(TABLE)))

    def test_crossdept_fields_of_odoo_models(self):
        """Every role, and an HR officer, writes every CrossDept field of the HR
        models: the engine's are refused to all, the settings allowed to who should."""
        hr_officer = new_test_user(
            self.env, "guard_hr", groups="base.group_user,hr.group_hr_user", name="HR Officer"
        )
        users = {**self.users, "hr_officer": hr_officer}
        self.dept_it.write(
            {
                "crossdept_expert_user_ids": [Command.set(self.it_manager.ids)],
                "crossdept_max_open_steps": 4,
            }
        )
        self.dept_it._engine().crossdept_last_assigned_user_id = self.it_user
        records = {
            "hr.department": self.dept_it,
            "hr.employee": self.it_user.employee_ids[:1],
        }
        problems, covered, untried = [], 0, []
        for model_name, expected in ODOO_TABLE.items():
            Model = self.env[model_name]
            # fields of addons that are not installed (crossdept_chat's chat ids)
            expected = {name: roles for name, roles in expected.items() if name in Model._fields}
            names = self._crossdept_fields(Model)
            self.assertEqual(names, set(expected), f"{model_name}: fields nobody decided")
            record = records[model_name]
            self.assertTrue(record, f"{model_name}: no record to attack")
            found, count, missed = self._attack_fields(record, expected, users, names)
            problems += found
            covered += count
            untried += missed
        # nor may a department be created with them by anybody but an administrator
        # (who may not create departments at all)
        for role, user in users.items():
            for name, value in (
                ("crossdept_assign_method", "score"),
                ("crossdept_last_assigned_user_id", self.it_user.id),
            ):
                problems.append(
                    self._refused(
                        f"hr.department created with {name} by {role}",
                        lambda user=user, name=name, value=value: (
                            self.env["hr.department"]
                            .with_user(user)
                            .create({"name": "Guard (test)", name: value})
                        ),
                    )
                )
        problems.append(
            self._allowed(
                "hr.department created by hr_officer",
                lambda: self.env["hr.department"].with_user(hr_officer).create({"name": "Plain"}),
            )
        )
        problems = [problem for problem in problems if problem]
        self.assertFalse(problems, "\n".join(problems))
        self.assertFalse(untried, "fields with no value to try")
        self.assertGreater(covered, 40)

    def test_the_holder_ticks_deliverables_through_the_step(self):
        deliverable = self.work.deliverable_ids
        command = [Command.update(deliverable.id, {"done": True})]
        self._assert_refused(
            "a deliverable ticked by a colleague",
            lambda: self.work.with_user(self.member).write({"deliverable_ids": command}),
        )
        self.work.with_user(self.it_user).write({"deliverable_ids": command})
        self.assertTrue(deliverable.done)
        self._assert_refused(
            "a deliverable renamed by its holder",
            lambda: self.work.with_user(self.it_user).write(
                {"deliverable_ids": [Command.update(deliverable.id, {"name": "Nothing"})]}
            ),
        )
