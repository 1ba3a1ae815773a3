"""Bad-rating cases (差评工单): verified, rectified and answered within working-day deadlines."""
