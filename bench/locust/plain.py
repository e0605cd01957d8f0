# Locust's side of the plain workload: GET / in a loop, no wait.
from locust import FastHttpUser, HttpUser, task, constant


class FastGetter(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/")


class Getter(HttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/")
