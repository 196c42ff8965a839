from django.urls import path

from actions.views import analytics, cases, config, improvements

app_name = "actions"

urlpatterns = [
    # The frontline inbox and the case page.
    path("", cases.inbox, name="inbox"),
    path("cases/assign/", cases.case_bulk_assign, name="case_bulk_assign"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/claim/", cases.case_claim, name="case_claim"),
    path("cases/<int:pk>/assign/", cases.case_assign, name="case_assign"),
    path("cases/<int:pk>/contact/", cases.case_contact, name="case_contact"),
    path("cases/<int:pk>/note/", cases.case_note, name="case_note"),
    path("cases/<int:pk>/root-cause/", cases.case_root_cause, name="case_root_cause"),
    path("cases/<int:pk>/close/", cases.case_close, name="case_close"),
    path("cases/<int:pk>/close-without-contact/", cases.case_close_without_contact, name="case_close_without_contact"),
    path("cases/<int:pk>/reopen/", cases.case_reopen, name="case_reopen"),
    path("customers/<int:customer_pk>/cases/", cases.customer_cases, name="customer_cases"),
    # Configuration.
    path("rules/", config.rule_list, name="rule_list"),
    path("rules/new/", config.rule_edit, name="rule_create"),
    path("rules/<int:pk>/", config.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", config.rule_delete, name="rule_delete"),
    path("root-causes/", config.root_cause_list, name="root_cause_list"),
    path("root-causes/<int:pk>/", config.root_cause_edit, name="root_cause_edit"),
    path("calendar/", config.calendar, name="calendar"),
    path("calendar/holidays/", config.holiday_add, name="holiday_add"),
    path("calendar/holidays/<int:pk>/delete/", config.holiday_delete, name="holiday_delete"),
    # Analytics.
    path("analytics/", analytics.analytics, name="analytics"),
    # Improvement actions.
    path("improvements/", improvements.board, name="board"),
    path("improvements/roadmap/", improvements.roadmap, name="roadmap"),
    path("improvements/new/", improvements.improvement_create, name="improvement_create"),
    path("improvements/<int:pk>/", improvements.improvement_detail, name="improvement_detail"),
    path("improvements/<int:pk>/edit/", improvements.improvement_edit, name="improvement_edit"),
    path("improvements/<int:pk>/move/", improvements.improvement_move, name="improvement_move"),
    path("improvements/<int:pk>/measure/", improvements.improvement_measure, name="improvement_measure"),
    path("improvements/<int:pk>/publish/", improvements.improvement_publish, name="improvement_publish"),
    path("wins/", improvements.wins, name="wins"),
]
