from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"

    def ready(self) -> None:
        from django.db.models.signals import post_save, pre_delete, pre_save

        from customers.models import Customer
        from customers.signals import customers_resliced
        from journeys.views import touchpoints_page_context
        from kpis import receivers
        from surveys.models import Answer, Response
        from surveys.signals import responses_processed

        responses_processed.connect(receivers.on_responses_processed, dispatch_uid="kpis.responses_processed")
        pre_delete.connect(receivers.on_response_pre_delete, sender=Response, dispatch_uid="kpis.response_delete")
        pre_save.connect(receivers.on_answer_pre_save, sender=Answer, dispatch_uid="kpis.answer_pre_save")
        post_save.connect(receivers.on_answer_post_save, sender=Answer, dispatch_uid="kpis.answer_post_save")
        pre_save.connect(receivers.on_customer_pre_save, sender=Customer, dispatch_uid="kpis.customer_pre_save")
        pre_delete.connect(receivers.on_customer_pre_delete, sender=Customer, dispatch_uid="kpis.customer_delete")
        customers_resliced.connect(receivers.on_customers_resliced, dispatch_uid="kpis.customers_resliced")
        touchpoints_page_context.connect(receivers.on_touchpoints_page, dispatch_uid="kpis.touchpoint_scores")
