"""metrics.json: deterministic text, sections merged and validated, numpy and NaN handled, exact round trip."""

from __future__ import annotations

import datetime as dt
import json
import typing

import numpy as np
import pytest
from pydantic import BaseModel

from churnlab import metrics
from churnlab.metrics import SECTIONS, MetricsError, StudyMetrics

# Every key that a run can write, values from a real run (dynamic maps cut to two entries), some None.
SAMPLE = {'causes': {'exit_reasons': {'competitor': 0.219206680585, 'moved': 0.0751565762004},
                     'exit_reasons_answered': 479,
                     'logit_terms': 19,
                     'segment_churn': {'payment_method': {'bank_transfer': {'churned': 205,
                                                                            'ci_high': 0.208771648188,
                                                                            'ci_low': 0.163106534046,
                                                                            'customers': 1109,
                                                                            'rate': 0.184851217313},
                                                          'credit_card': {'churned': 225,
                                                                          'ci_high': 0.213725093506,
                                                                          'ci_low': 0.168991715259,
                                                                          'customers': 1182,
                                                                          'rate': 0.190355329949}},
                                       'plan': {'month_to_month': {'churned': 717,
                                                                   'ci_high': 0.340450733359,
                                                                   'ci_low': 0.301774937939,
                                                                   'customers': 2235,
                                                                   'rate': 0.320805369128},
                                                'one_year': {'churned': 202,
                                                             'ci_high': 0.169155940728,
                                                             'ci_low': 0.131204205275,
                                                             'customers': 1354,
                                                             'rate': 0.149187592319}}},
                     'top_drivers': ['plan', 'monthly_charge_change']},
          'cost': {'churners': 1096, 'dated': True,
                   'components': {'direct': 71240.0,
                                  'indirect': 356200.0,
                                  'lost_revenue': 713439.751909,
                                  'opportunity': 23588.0},
                   'currency': 'EUR',
                   'revenue_at_risk': 244187.78326,
                   'revenue_at_risk_horizon_months': 12,
                   'total': 1164467.75191,
                   'window': ['2023-01-01', '2025-12-31']},
          'data': {'as_of': '2025-12-31',
                   'churn_rate': 0.2192,
                   'churned_by_definition': {'contractual': 1096, 'contractual: involuntary': 112},
                   'definition': 'contractual',
                   'median_duration_months': 32.7227926078,
                   'n_churned': 1096,
                   'n_customers': 5000,
                   'n_snapshots': 4,
                   'rows_dropped': {'duplicate rows': 12},
                   'snapshot_positive_rate': None,
                   'source': 'simulate',
                   'tables': {'analysis.parquet': 5000, 'customers.parquet': 5000}},
          'kpi': {'annualised_churn': 0.122860859233,
                  'churn_by_kind': {'involuntary': 0.102189781022, 'voluntary': 0.897810218978},
                  'churn_rate': {'month': {'2023-01': 0.00407166123779, '2023-02': 0.00517104216388},
                                 'quarter': {'2023Q1': 0.0126221498371, '2023Q2': 0.0201367781155},
                                 'year': {'2023': 0.0749185667752, '2024': 0.0960232783705}},
                  'churn_rate_latest': {'month': 0.0115949497552, 'quarter': 0.0362109682498, 'year': 0.120304998588},
                  'cohort_logo_retention_12m': 0.873289708507,
                  'consistency': {'agree': False,
                                  'methods': {'period churn rate (customers at the start of each month)': 0.0108646852833,
                                              'sBG: expected monthly churn of the current base': 0.00448946326137,
                                              'survival: churn events per customer-month at risk': 0.0120244650935},
                                  'tolerance': 0.25,
                                  'note': 'sBG: 0.0045 a month, -59% against the period rate 0.0109.'},
                  'definition_sensitivity': {'churn_events': [1096, 1096],
                                             'churn_share': [0.616, 0.5196],
                                             'churned': [3080, 2598],
                                             'customers': [5000, 5000],
                                             'gap_days': [30, 60],
                                             'returned_share': [0.225324675325, 0.125866050808],
                                             'window_days': [30, 60]},
                  'growth_rate_latest': 0.00592630765267,
                  'grr': 0.991277896833,
                  'indicators_latest': {'complaints_per_100': 2.62818861118, 'contacts_per_100': 7.39500128833},
                  'lifecycle_latest': {'dormant/churned': 1046, 'first purchase': 238},
                  'net_mrr_churn': -0.00161335234043,
                  'nrr': 1.00161335234,
                  'quick_ratio': 3.01021631116,
                  'retention_rate': {'month': {'2023-01': 0.995928338762, '2023-02': 0.994828957836},
                                     'quarter': {'2023Q1': 0.987377850163, '2023Q2': 0.979863221884},
                                     'year': {'2023': 0.925081433225, '2024': 0.903976721629}},
                  'retention_rate_latest': {'month': 0.988405050245, 'quarter': 0.96378903175, 'year': 0.879695001412},
                  'same_period_churn_rule': 'joined and churned in the same period: left out of the rate, counted as '
                                            'new_and_churned',
                  'save_desk_success_rate': None,
                  'save_rate': 0.511299435028,
                  'scorecard': [{'kpi': 'monthly_churn',
                                 'period': 'month',
                                 'previous': 0.0114583333333,
                                 'status': 'on track',
                                 'target': 0.015,
                                 'trend': 'up',
                                 'unit': '%',
                                 'value': 0.0115949497552},
                                {'kpi': 'monthly_retention',
                                 'previous': 0.988541666667,
                                 'status': 'on track',
                                 'target': None,
                                 'trend': 'flat',
                                 'unit': '%',
                                 'value': 0.988405050245}],
                  'winback_rate': 0.0},
          'retention': {'break_even_save_rate': 0.383584784097,
                        'profit_curves': {'by risk, differentiated offers': {'0': 0.0, '0.05': 900.0, '1': -5000.0}},
                        'currency': 'EUR',
                        'expected_profit': 935.703075561,
                        'fix_ranking': [{'reason': 'price', 'share_of_churners': 0.4, 'value_lost_per_year': 90000.0,
                                         'reduction': 0.3, 'value_saved_pv': 70000.0, 'investment': 50000.0,
                                         'roi': 0.4},
                                        {'reason': 'moved', 'share_of_churners': 0.1,
                                         'value_lost_per_year': 20000.0, 'reduction': None,
                                         'value_saved_pv': None, 'investment': None, 'roi': None}],
                        'fix_horizon_months': 36,
                        'policy': 'by risk × value, differentiated',
                        'recommended_policy': 'by risk × value, differentiated',
                        'recommendation': 'the highest expected profit of the 3 targeting policies compared',
                        'policy_plans': {'by risk × value, differentiated': {
                            'share': 0.0299795081967, 'customers': 117, 'expected_profit': 1350.56987354,
                            'break_even_save_rate': 0.35, 'profit_p05': 1100.0, 'profit_p95': 1600.0,
                            'p_loss': 0.0}},
                        'optimal_customers': 78,
                        'optimal_target_share': 0.0199795081967,
                        'p_loss': 0.0,
                        'profit_uncertainty': 'the save rate',
                        'value_basis': 'value if retained through the lead time',
                        'policies': {'by risk × value, differentiated': 1350.56987354,
                                     'by risk, a discount for everyone': 888.245448442},
                        'profit_p05': 751.369141946,
                        'profit_p95': 1116.60236205,
                        'save_rate': 0.511299435028,
                        'save_rate_ci': [0.481249037097, 0.541268383108],
                        'save_rate_source': 'save rate from 1,062 offers of the save desk'},
          'survival': {'drivers': {'episodes': 115127, 'customers': 4879, 'events': 935,
                                   'observed_until': '2025-12-31', 'strata': ['plan'],
                                   'hazard_ratios': {'price_rise': 1717.7}, 'ci_low': {'price_rise': 764.0},
                                   'ci_high': {'price_rise': 3861.8}, 'p_value': {'price_rise': 0.0},
                                   'scale': {'price_rise': 0.0512}, 'labels': {'price_rise': 'Price rise since the first month'},
                                   'per': {'price_rise': 'per 1 SD = 0.051 share of the first price'}},
                       'planted': {'unresolved_share': {'planted_log_hr': 0.4, 'log_hr': 0.434,
                                                        'log_ci_low': 0.301, 'log_ci_high': 0.567,
                                                        'p_value': 1.5e-10, 'recovered': True,
                                                        'asserted': True}},
                       'planted_factor': 2.0, 'planted_min_effect': 0.2,
                       'aft': {'aic': {'LogLogistic': 12006.6786315,
                                       'LogNormal': 12041.4042302,
                                       'Weibull': 11982.4334031},
                               'best': 'Weibull'},
                       'bgnbd': {'a': 1.06665165082,
                                 'alpha': 2.44779923588,
                                 'b': 40.6481302977,
                                 'converged': True,
                                 'holdout': {'actual': 27540.0, 'days': 181, 'predicted': 28829.5615125},
                                 'horizon': 25.8571428571,
                                 'mean_p_alive': 0.591346093511,
                                 'r': 1.18347089873,
                                 'time_unit': 'week'},
                       'cox': {'concordance': 0.711995459246,
                               'hazard_ratios': {'data_gb_change': 1.00065607737, 'data_gb_mean': 1.00085506767},
                               'ph_violations': ['monthly_charge_change', 'response_hours_mean'],
                               'scale': {'data_gb_change': 2.1, 'data_gb_mean': 4.3},
                               'labels': {'data_gb_change': 'Change in data used', 'data_gb_mean': 'Data used per month'},
                               'per': {'data_gb_change': 'per 1 SD = 2.1 change in GB a month',
                                       'data_gb_mean': 'per 1 SD = 4.3 GB a month'},
                               'remedy': {'hazard_ratios': {'data_gb_change': 0.998965924012,
                                                            'data_gb_mean': 1.00093863644},
                                          'strata': ['plan'],
                                          'time_interactions': ['monthly_charge_change', 'n_interactions_per_month']}},
                       'customers': 4932,
                       'dropped_no_time_at_risk': 68,
                       'km': {'curve': {'time': [0.0, 1.0, 24.0], 'survival': [1.0, 0.99, 0.78],
                                        'ci_low': [1.0, 0.98, 0.76], 'ci_high': [1.0, 0.995, 0.8]},
                              'median': None,
                              'median_ci': [73.0, 84.0],
                              'rmst': 21.1195169011,
                              'rmst_tau': 24.0,
                              'survival': {'12': 0.876086395843,
                                           '24': 0.779328685428,
                                           '3': 0.952199704555,
                                           '6': 0.924105627266}},
                       'left_truncated': 2422,
                       'logrank': {'payment_method': {'p_value': 1.64533799524e-09, 'statistic': 43.8233943222},
                                   'plan': {'p_value': 3.31965453992e-70, 'statistic': 319.962191573}},
                       'sbg': {'alpha': 0.10630532823,
                               'beta': 1.69533984475,
                               'cohorts': 12,
                               'converged': True,
                               'derl': 30.8413016685,
                               'fit_periods': 4,
                               'holdout_bias': -0.0705367377759,
                               'holdout_error': {'5': -0.0155664212133, '11': -0.108620534336},
                               'holdout_mape': 0.0719912712374,
                               'period': 'quarter'},
                       'unit': 'month',
                       'competing': {'events': {'involuntary': 112, 'voluntary': 984},
                                     'incidence': {'involuntary': {'12': 0.0117, '24': 0.0192},
                                                   'voluntary': {'12': 0.1132, '24': 0.2029}},
                                     'incidence_ci': {'involuntary': {'12': [0.0079, 0.0168],
                                                                      '24': [0.014, 0.0256]},
                                                      'voluntary': {'12': [0.1007, 0.1266],
                                                                    '24': [0.186, 0.2203]}},
                                     'hazard_ratios': {'involuntary': {'payment_method=electronic_check': 2.187},
                                                       'voluntary': {'payment_method=electronic_check': 1.498}},
                                     'skipped': {}},
                       'validation': {'calibration_error': {'Cox': 0.0355840931331, 'Weibull AFT': 0.0308098770044},
                                      'concordance_test': {'Cox': 0.687094567988, 'Weibull AFT': 0.686954674515},
                                      'integrated_brier': {'Cox': 0.109, 'Weibull AFT': 0.11,
                                                           'Kaplan-Meier (no covariates)': 0.121},
                                      'horizon': 12.0}},
          'value': {'clv_by_segment': {'month_to_month': {'ci_high': 661.88073366,
                                                          'ci_low': 646.903761122,
                                                          'customers': 1487,
                                                          'mean': 654.216426505},
                                       'one_year': {'ci_high': 667.603078119,
                                                    'ci_low': 652.21965391,
                                                    'customers': 1130,
                                                    'mean': 658.950346458}},
                    'clv_mean': 648.346921068,
                    'clv_total': 2487058.78922,
                    'currency': 'EUR',
                    'customers': 3836,
                    'discount_period': 'year',
                    'discount_rate': 0.1,
                    'gamma_gamma': {'gamma': 171.923957208,
                                    'mean_spend': 80.5185461713,
                                    'p': 1.77200429606,
                                    'q': 4.78360024187},
                    'horizon_months': 36,
                    'interval': 'bootstrap over customers, percentile 95%',
                    'clv_mean_ci': [640.2, 656.9],
                    'clv_mean_ci_method': 'bootstrap of the customers only, percentile 95%',
                    'margin_rate': 0.35,
                    'method': 'survival (AFT) expected discounted lifetime',
                    'sbg_check': {'sBG (acquisition cohorts, by quarter)': 27.1979499506,
                                  'survival model (AFT, with covariates)': 26.1035920954}},
          'warning': {'auc': 0.7,
                      'auc_ci': [0.64899729892, 0.746570528211],
                      'auc_difference_ci': [-0.0326909263705, 0.0332682072829],
                      'brier': 0.0333489990316,
                      'calibration': {'brier_calibrated': 0.0333489990316,
                                      'brier_raw': 0.0333148364138,
                                      'ece_10_equal_count_calibrated': 0.00393773153394,
                                      'ece_10_equal_count_raw': 0.00512782956799,
                                      'event_rate': 0.0356861716085,
                                      'events': 136,
                                      'mean_probability': 0.0356347777909,
                                      'method': 'platt',
                                      'reason': 'Platt scaling: 136 events on the held-out rows (< 200), too few for an isotonic '
                                                'map'},
                      'excluded_features': {'n_offers': 'consequence of churn (retention offers go to customers about to leave)',
                                            'offer_accepted': 'consequence of churn (retention offers go to customers about to '
                                                              'leave)'},
                      'horizon_days': 90,
                      'model': 'logistic',
                      'model_choice': 'logistic drives the list: higher held-out ROC AUC (0.700 vs 0.699 for xgboost)',
                      'models': {'logistic': {'brier': 0.0333148364138,
                                              'ece_10_equal_count': 0.00512782956799,
                                              'log_loss': 0.143841072519,
                                              'pr_auc': 0.110883730944,
                                              'roc_auc': 0.7,
                                              'roc_auc_ci': [0.64899729892, 0.746570528211],
                                              'top_decile_lift': 2.78753464737,
                                              'top_decile_lift_ci': [2.05397289806, 3.52109639667]},
                                 'xgboost': {'brier': 0.0339268089386,
                                             'ece_10_equal_count': 0.0120907126147,
                                             'log_loss': 0.149358684934,
                                             'pr_auc': 0.0843752960201,
                                             'roc_auc': 0.699417767107,
                                             'roc_auc_ci': [0.653930872349, 0.745487144858],
                                             'top_decile_lift': 2.49410994764,
                                             'top_decile_lift_ci': [1.83390437327, 3.08279325146]}},
                      'n_high_risk': 391,
                      'pr_auc': 0.110883730944,
                      'top_decile_lift': 2.78753464737,
                      'top_decile_lift_ci': [2.05397289806, 3.52109639667],
                      'validation': 'time-ordered: trained on 10,931 rows from 2025-01-05, 2025-04-05, 2025-07-04; tested on '
                                    '3,811 rows from 2025-10-02'}}


def model_of(annotation, suffix: str = "") -> tuple[type[BaseModel] | None, str]:
    """The metrics model inside ``Optional[...]``, ``list[...]`` or ``dict[str, ...]`` (if any) and the
    path suffix that reaches it: ``.*`` per map layer, ``.[]`` per list layer."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, suffix
    origin = typing.get_origin(annotation)
    step = ".*" if origin is dict else ".[]" if origin is list else ""
    for arg in typing.get_args(annotation):
        found, path = model_of(arg, suffix + step)
        if found is not None:
            return found, path
    return None, suffix


def field_paths(model: type[BaseModel], prefix: str) -> list[str]:
    """Every field of ``model`` and of the models nested in it, as dotted paths."""
    out = []
    for name, field in model.model_fields.items():
        out.append(f"{prefix}.{name}")
        inner, suffix = model_of(field.annotation)
        if inner is not None:
            out += field_paths(inner, f"{prefix}.{name}{suffix}")
    return out


def values_at(data, path: str) -> list:
    """The values found at ``path`` (``*``: every map value, ``[]``: every list item)."""
    found = [data]
    for part in path.split("."):
        nxt = []
        for cur in found:
            if part == "*" and isinstance(cur, dict):
                nxt += list(cur.values())
            elif part == "[]" and isinstance(cur, list):
                nxt += cur
            elif isinstance(cur, dict) and part in cur:
                nxt.append(cur[part])
        found = nxt
    return found


def test_record_merges_sections_and_is_canonical(tmp_path):
    metrics.record(tmp_path, "data", {"n_customers": np.int64(3), "churn_rate": np.float64(1 / 3),
                                      "snapshot_positive_rate": float("nan"), "as_of": dt.date(2025, 1, 31),
                                      "tables": {"customers.parquet": np.int64(3)}})
    metrics.record(tmp_path, "survival", {"sbg": {"converged": np.bool_(True), "alpha": 0.5}})
    metrics.record(tmp_path, "causes", {"top_drivers": ("b", "a"), "logit_terms": 2})
    text = (tmp_path / "metrics.json").read_text()
    data = metrics.read(tmp_path)
    assert data["data"] == {"n_customers": 3, "churn_rate": 0.333333333333, "snapshot_positive_rate": None,
                            "as_of": "2025-01-31", "tables": {"customers.parquet": 3}}
    assert data["survival"] == {"sbg": {"converged": True, "alpha": 0.5}}
    assert data["causes"] == {"top_drivers": ["b", "a"], "logit_terms": 2}
    assert list(data) == ["causes", "data", "survival"]  # sorted keys
    assert text == metrics.dumps(data)
    assert not list(tmp_path.glob("*.tmp"))
    assert metrics.load(tmp_path).survival.sbg.alpha == 0.5


def test_rounding_hides_last_bit_noise():
    a, b = 0.1 + 0.2, 0.3
    assert metrics.dumps({"x": a}) == metrics.dumps({"x": b})


def test_a_full_file_round_trips_through_the_models_byte_for_byte():
    text = metrics.dumps(SAMPLE)
    parsed = StudyMetrics.model_validate(json.loads(text))
    assert metrics.dumps(metrics.dump(parsed)) == text
    for name, model in SECTIONS.items():   # and section by section, as record() writes them
        section = metrics.validate_section(name, json.loads(text)[name])
        assert isinstance(section, model)
        assert metrics.dumps(metrics.dump(section)) == metrics.dumps(SAMPLE[name])


def test_ints_stay_ints_and_floats_stay_floats():
    parsed = metrics.validate_section("cost", {"revenue_at_risk_horizon_months": 12, "total": 12.0})
    assert metrics.dumps(metrics.dump(parsed)) == '{\n  "revenue_at_risk_horizon_months": 12,\n  "total": 12.0\n}\n'


def test_the_sample_sets_every_key_of_every_section():
    unset = [p for name, model in SECTIONS.items() for p in field_paths(model, name) if not values_at(SAMPLE, p)]
    assert unset == []


def test_every_field_is_documented():
    def models(model):
        yield model
        for field in model.model_fields.values():
            inner, _ = model_of(field.annotation)
            if inner is not None:
                yield from models(inner)

    missing = [f"{model.__name__}.{name}" for model in models(StudyMetrics)
               for name, field in model.model_fields.items() if not (field.description or "").strip()]
    assert missing == []
    assert set(SECTIONS) == set(StudyMetrics.model_fields)


@pytest.mark.parametrize("section, values, message", [
    ("retention", {"break_even_accept_rate": 0.38},
     "section 'retention': retention.break_even_accept_rate: unknown key (renamed to retention.break_even_save_rate)"),
    ("survival", {"km": {"medain": 24.0}}, "section 'survival': survival.km.medain: unknown key"),
    ("kpi", {"scorecard": [{"kpi": "nrr", "vlaue": 1.0}]}, "kpi.scorecard.0.vlaue: unknown key"),
    ("data", {"n_customers": "5000"}, "data.n_customers: Input should be a valid integer"),
    ("data", {"n_customers": 5000.0}, "data.n_customers: Input should be a valid integer"),
    ("cost", {"total": "1,000 EUR"}, "cost.total"),
    ("costs", {"total": 1.0}, "metrics.json has no section 'costs'; the sections are data, causes"),
])
def test_record_refuses_what_the_definition_does_not_know(tmp_path, section, values, message):
    metrics.record(tmp_path, "data", {"n_customers": 5})
    before = (tmp_path / "metrics.json").read_text()
    with pytest.raises(MetricsError) as err:
        metrics.record(tmp_path, section, values)
    assert message in str(err.value)
    assert isinstance(err.value, ValueError)
    assert (tmp_path / "metrics.json").read_text() == before   # nothing written


def test_whole_file_errors_name_the_section_and_key(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"data": {"n_customers": 5}, "extra": {}}))
    with pytest.raises(MetricsError, match=r"metrics\.json: extra: unknown key"):
        metrics.load(tmp_path)
