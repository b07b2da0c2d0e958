module heartbeat

go 1.21
