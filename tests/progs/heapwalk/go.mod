module heapwalk

go 1.21
